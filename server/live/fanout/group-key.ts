import type { OperationDefinitionNode } from 'graphql';

/** Operations told apart by identity: Yoga's parser cache hands out one document object per query text. */
const operationIds = new WeakMap<OperationDefinitionNode, number>();
let nextOperationId = 0;

function operationId(operation: OperationDefinitionNode): number {
  let id = operationIds.get(operation);
  if (id === undefined) {
    id = nextOperationId++;
    operationIds.set(operation, id);
  }
  return id;
}

/**
 * The fan-out group of a subscription: the same operation, the same
 * variables and the same authorisation scope (the viewer's roles, which are
 * all that resolvers check; who the admin is plays no part in a result)
 * give the same result for every event, so one execution serves them all.
 * Two texts of the same query parse to two objects and simply make two
 * groups; that costs an execution, never correctness.
 */
export function groupKey(operation: OperationDefinitionNode, variables: unknown, roles: ReadonlySet<string>): string {
  return `${operationId(operation)}|${[...roles].sort().join(',')}|${JSON.stringify(variables ?? {})}`;
}
