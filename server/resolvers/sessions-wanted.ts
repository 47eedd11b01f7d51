import { GraphQLInt, Kind, valueFromAST, type FieldNode, type GraphQLResolveInfo, type SelectionSetNode } from 'graphql';
import { SESSIONS_PER_USER } from '../domain/activity.js';

/**
 * How many sessions per user a store read must load for an `activeUsers`
 * field to be answered: the largest `sessions(first:)` asked for under
 * `edges { node { … } }` (aliases and fragments included), so that a page
 * read loads 10 sessions of a user for the default rather than the cap. At
 * least 1 (a `pathPrefix` filter needs a match to list a user at all), at
 * most the cap; a `first` out of range is left for `ActiveUser.sessions` to
 * refuse, and is loaded as the cap meanwhile.
 */
export function sessionsWanted(info: GraphQLResolveInfo): number {
  const sessions = childFields(info, childFields(info, childFields(info, info.fieldNodes, 'edges'), 'node'), 'sessions');
  return sessions.reduce((most, field) => Math.max(most, firstOf(info, field)), 1);
}

function firstOf(info: GraphQLResolveInfo, field: FieldNode): number {
  const argument = field.arguments?.find((arg) => arg.name.value === 'first');
  const value: unknown = argument ? valueFromAST(argument.value, GraphQLInt, info.variableValues) : undefined;
  // Absent, or a variable left out or null: the argument's default.
  if (value === undefined || value === null) return SESSIONS_PER_USER.default;
  return typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= SESSIONS_PER_USER.max ? value : SESSIONS_PER_USER.max;
}

/** Every field called `name` selected directly under `fields`, through inline fragments and fragment spreads. */
export function childFields(info: GraphQLResolveInfo, fields: readonly FieldNode[], name: string): FieldNode[] {
  return fields.flatMap((field) => (field.selectionSet ? fieldsIn(info, field.selectionSet, name, new Set()) : []));
}

function fieldsIn(info: GraphQLResolveInfo, selectionSet: SelectionSetNode, name: string, seen: Set<string>): FieldNode[] {
  return selectionSet.selections.flatMap((selection): FieldNode[] => {
    if (selection.kind === Kind.FIELD) return selection.name.value === name ? [selection] : [];
    if (selection.kind === Kind.INLINE_FRAGMENT) return fieldsIn(info, selection.selectionSet, name, seen);
    const fragment = info.fragments[selection.name.value];
    // Validation forbids fragment cycles; `seen` only keeps a spread repeated in one selection from being walked twice.
    if (!fragment || seen.has(fragment.name.value)) return [];
    seen.add(fragment.name.value);
    return fieldsIn(info, fragment.selectionSet, name, seen);
  });
}
