import { Kind, type OperationDefinitionNode, type SelectionSetNode, type ValidationContext, type ValidationRule } from 'graphql';
import { pulseError } from '../core/errors.js';

/** Why a walk stopped early, or `null` when the operation is within both limits. */
type Excess = 'depth' | 'fields' | null;

/**
 * Selections visited (fields, spreads, inline fragments) per allowed field
 * before a walk gives up: fragments expand exponentially (`...A ...A` in
 * each of ten fragments is 1024 copies), so the walk is bounded by work, not
 * by the document's size.
 */
const WORK_PER_FIELD = 4;

/**
 * Depth allowed under `__schema` and `__type`: graphql's own introspection
 * query (what GraphiQL and codegen send) nests `ofType` 15 deep, deeper than
 * any Pulse operation needs to go. Fields there still count.
 */
const INTROSPECTION_DEPTH = 15;
const INTROSPECTION_ROOTS: ReadonlySet<string> = new Set(['__schema', '__type']);

/**
 * Walks one operation with its fragments expanded, counting fields and
 * tracking depth, and stops at the first limit it passes. A fragment already
 * being expanded on the current path is skipped: graphql's
 * `NoFragmentCyclesRule` reports cycles, but this rule must not loop on them
 * whatever order the rules run in.
 */
function measure(operation: OperationDefinitionNode, context: ValidationContext, maxDepth: number, maxFields: number): Excess {
  let fields = 0;
  let work = 0;
  const expanding = new Set<string>();
  const walk = (set: SelectionSetNode, depth: number, limit: number): Excess => {
    for (const selection of set.selections) {
      if (++work > maxFields * WORK_PER_FIELD) return 'fields';
      let excess: Excess = null;
      if (selection.kind === Kind.FIELD) {
        if (++fields > maxFields) return 'fields';
        if (depth + 1 > limit) return 'depth';
        const nextLimit = INTROSPECTION_ROOTS.has(selection.name.value) ? Math.max(limit, INTROSPECTION_DEPTH) : limit;
        if (selection.selectionSet) excess = walk(selection.selectionSet, depth + 1, nextLimit);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        excess = walk(selection.selectionSet, depth, limit);
      } else {
        const name = selection.name.value;
        const fragment = context.getFragment(name);
        if (!fragment || expanding.has(name)) continue;
        expanding.add(name);
        excess = walk(fragment.selectionSet, depth, limit);
        expanding.delete(name);
      }
      if (excess !== null) return excess;
    }
    return null;
  };
  return walk(operation.selectionSet, 0, maxDepth);
}

/**
 * A validation rule refusing operations deeper than `maxDepth` fields or
 * with more than `maxFields` fields, fragments expanded (`MAX_QUERY_DEPTH`,
 * `MAX_QUERY_FIELDS`). One rule for both, so a document is walked once and
 * the walk's cost is bounded by `maxFields`. Errors are `BAD_USER_INPUT`
 * naming the limit in `extensions.limit`, and `onLimit` is told. Introspection may nest up to
 * 15 deep whatever `maxDepth` says, so GraphiQL keeps working.
 */
export function operationLimitsRule(maxDepth: number, maxFields: number, onLimit: (limit: string) => void = () => {}): ValidationRule {
  // A named function: Yoga's validation cache keys on rule names.
  return function PulseOperationLimits(context) {
    return {
      OperationDefinition(operation) {
        const excess = measure(operation, context, maxDepth, maxFields);
        const what = operation.name ? `Operation "${operation.name.value}"` : 'The operation';
        if (excess !== null) onLimit(excess === 'depth' ? 'MAX_QUERY_DEPTH' : 'MAX_QUERY_FIELDS');
        if (excess === 'depth') {
          context.reportError(pulseError('BAD_USER_INPUT', `${what} nests fields deeper than ${maxDepth} (MAX_QUERY_DEPTH).`, { limit: 'MAX_QUERY_DEPTH' }, [operation]));
        } else if (excess === 'fields') {
          context.reportError(pulseError('BAD_USER_INPUT', `${what} selects more than ${maxFields} fields (MAX_QUERY_FIELDS).`, { limit: 'MAX_QUERY_FIELDS' }, [operation]));
        }
        // The walk above looked at everything this rule needs; skip the children.
        return false;
      },
    };
  };
}
