import { Kind, type FragmentDefinitionNode, type GraphQLSchema, type OperationDefinitionNode } from 'graphql';
import type { Logger } from 'pino';
import type { ActivityFilter } from '../../domain/activity.js';
import { createEventExecutor } from './event-executor.js';
import type { GroupSpec } from './fanout-hub.js';
import { groupKey } from './group-key.js';

/** What the fan-out group of one subscription is made from, whichever transport it came by. */
export interface SubscriptionShape {
  readonly schema: GraphQLSchema;
  readonly operation: OperationDefinitionNode;
  /** The document's fragments (the rest of the document plays no part in executing the operation). */
  readonly fragments: readonly FragmentDefinitionNode[];
  /** The variables as the client sent them: graphql-js coerces them again for each event, as `subscribe` does. */
  readonly variables: Readonly<Record<string, unknown>> | undefined;
  /** The subscriber's roles: its authorisation scope. */
  readonly roles: ReadonlySet<string>;
  /** The subscription's checked filter, applied once per change for the whole group. */
  readonly filter: ActivityFilter | null;
  /**
   * The context events are executed with, shared by every member for as
   * long as the group lives: only what resolvers of events read, nothing of
   * one request.
   */
  readonly context: unknown;
  readonly logger: Logger;
}

/** The group of a subscription: its key (see `groupKey`), its filter, and one executor for all its events. */
export function groupSpecOf(shape: SubscriptionShape): GroupSpec {
  return specWithKey(groupKey(shape.operation, shape.variables, shape.roles), shape);
}

function specWithKey(key: string, { schema, operation, fragments, variables, filter, context, logger }: SubscriptionShape): GroupSpec {
  const document = { kind: Kind.DOCUMENT, definitions: [operation, ...fragments] } as const;
  const plan = { schema, document, operationName: operation.name?.value, variableValues: variables, contextValue: context };
  return { key, filter, execute: createEventExecutor(plan, logger) };
}

/** Specs kept for reuse: more groups than this at once in one process is unusual. */
const KEPT_SPECS = 256;

/**
 * Group specs made once per key: subscribers of one group share one spec
 * (and so one executor, and the memory it holds) instead of each making
 * its own. A spec dropped from here lives on with the streams using it.
 */
export class GroupSpecs {
  readonly #specs = new Map<string, GroupSpec>();

  /** The spec of `shape`'s group, made by the first subscriber of that group that asked. */
  specOf(shape: SubscriptionShape): GroupSpec {
    const key = groupKey(shape.operation, shape.variables, shape.roles);
    let spec = this.#specs.get(key);
    if (spec === undefined) {
      // Map order is insertion order: the oldest spec goes first.
      if (this.#specs.size >= KEPT_SPECS) this.#specs.delete(this.#specs.keys().next().value as string);
      this.#specs.set(key, (spec = specWithKey(key, shape)));
    }
    return spec;
  }
}
