import { Kind, type OperationDefinitionNode } from 'graphql';

/** The root field whose `since` argument only picks a subscriber's first events. */
const RESUMABLE_FIELD = 'activityChanged';
const CURSOR_ARGUMENT = 'since';

/** What the key takes from an operation, worked out once per operation object. */
interface OperationShape {
  /** Operations told apart by identity: Yoga's parser cache hands out one document object per query text. */
  readonly id: number;
  /** The declared variables whose values enter the key: all but the one feeding `since`. */
  readonly keyed: readonly string[];
}

const shapes = new WeakMap<OperationDefinitionNode, OperationShape>();
let nextOperationId = 0;

function shapeOf(operation: OperationDefinitionNode): OperationShape {
  let shape = shapes.get(operation);
  if (shape === undefined) {
    const since = sinceVariable(operation);
    const keyed = (operation.variableDefinitions ?? []).map((definition) => definition.variable.name.value).filter((name) => name !== since);
    shapes.set(operation, (shape = { id: nextOperationId++, keyed }));
  }
  return shape;
}

/**
 * The variable given as the root field's `since`, if it is one. A literal
 * cursor is part of the document (and so of its identity); a field reached
 * through a fragment spread is not looked for, and keeps its variable keyed.
 */
function sinceVariable(operation: OperationDefinitionNode): string | undefined {
  for (const selection of operation.selectionSet.selections) {
    if (selection.kind !== Kind.FIELD || selection.name.value !== RESUMABLE_FIELD) continue;
    const since = selection.arguments?.find((argument) => argument.name.value === CURSOR_ARGUMENT);
    if (since?.value.kind === Kind.VARIABLE) return since.value.name.value;
  }
  return undefined;
}

/** JSON with every object's keys in order, so that `{a, b}` and `{b, a}` read the same. */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, inner: unknown) => {
    if (typeof inner !== 'object' || inner === null || Array.isArray(inner)) return inner;
    const entries = Object.entries(inner).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return Object.fromEntries(entries);
  });
}

/**
 * The fan-out group of a subscription: the same operation, the same
 * variables and the same authorisation scope (the viewer's roles, which are
 * all that resolvers check; who the admin is plays no part in a result)
 * give the same result for every event, so one execution serves them all.
 *
 * What does not change a result does not split groups:
 * - the variable passed as `activityChanged(since:)`. `since` only chooses a
 *   subscriber's first events (its `Resumed` and replay, or its snapshot),
 *   which each member reads for itself; the field's resolver ignores its
 *   arguments when an event is executed, and the events carry their own
 *   cursors. So resumers join the group of fresh subscribers, each holding
 *   the group's live changes back until its replay is out. `Cursor` is
 *   accepted by that argument alone, so the variable can feed nothing else
 *   (`tests/unit/live/group-key.test.ts` checks the schema for it). An
 *   inline literal cursor stays in the document: its subscription keeps a
 *   group of its own, which costs an execution per event, never correctness;
 * - variables the operation does not declare (graphql-js ignores them);
 * - the order of keys, in the variables and in any object inside them.
 *
 * `null` and an absent value stay apart for every other variable: an
 * absent one takes the argument's default (`first` is 20), `null` does not.
 * Two texts of the same query parse to two objects and simply make two
 * groups; that too costs an execution, never correctness.
 */
export function groupKey(operation: OperationDefinitionNode, variables: Readonly<Record<string, unknown>> | undefined, roles: ReadonlySet<string>): string {
  const { id, keyed } = shapeOf(operation);
  const values: Record<string, unknown> = {};
  for (const name of keyed) if (variables !== undefined && Object.hasOwn(variables, name)) values[name] = variables[name];
  return `${id}|${[...roles].sort().join(',')}|${canonicalJson(values)}`;
}
