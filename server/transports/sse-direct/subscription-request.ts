import {
  getArgumentValues,
  getOperationAST,
  getVariableValues,
  Kind,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLField,
  type GraphQLSchema,
  type OperationDefinitionNode,
} from 'graphql';
import type { DocumentLimits } from '../../http/document-limits.js';

/** The root field a distinct-mode subscription served before Yoga must select. */
const FIELD = 'activityChanged';

/** The keys of GraphQL-over-HTTP params (a body with any other key is Yoga's to refuse). */
const PARAMS: ReadonlySet<string> = new Set(['query', 'variables', 'operationName', 'extensions']);

/** A subscription whose arguments graphql-js has coerced, exactly as `subscribe` would hand them to the resolver. */
export interface SubscriptionRequest {
  readonly operation: OperationDefinitionNode;
  readonly fragments: readonly FragmentDefinitionNode[];
  /** The variables as the client sent them (each event's execution coerces them again). */
  readonly variables: Readonly<Record<string, unknown>> | undefined;
  /** `activityChanged`'s arguments, coerced (the `Cursor` scalar has parsed `since`). */
  readonly args: Readonly<Record<string, unknown>>;
}

/** What a document's operation offers the fast path, worked out once per document and operation name. */
interface OperationShape {
  readonly operation: OperationDefinitionNode;
  readonly fragments: readonly FragmentDefinitionNode[];
  readonly field: FieldNode;
  readonly definition: GraphQLField<unknown, unknown>;
}

/** Parses, validates and coerces the subscriptions served before Yoga, remembering what a document offers. */
export class SubscriptionRequests {
  readonly #shapes = new WeakMap<DocumentNode, Map<string, OperationShape | null>>();

  constructor(
    private readonly schema: GraphQLSchema,
    private readonly documents: DocumentLimits,
  ) {}

  /**
   * The subscription a JSON body asks for, when it is an `activityChanged`
   * subscription that Yoga would run without a word: well-formed params,
   * a document within the limits that validates, one plain root field, and
   * variables and arguments that coerce.
   * @returns the coerced request, or null for anything else (Yoga then answers it, refusals and all)
   */
  read(body: Buffer): SubscriptionRequest | null {
    const params = paramsOf(body);
    if (params === null) return null;
    const document = this.documents.documentOf(params.query);
    if (document === null || !this.documents.isValid(this.schema, document)) return null;
    const shape = this.#shapeOf(document, params.operationName);
    if (shape === null) return null;
    const coerced = getVariableValues(this.schema, shape.operation.variableDefinitions ?? [], params.variables ?? {}, { maxErrors: 1 });
    if (coerced.errors !== undefined) return null;
    try {
      const args = getArgumentValues(shape.definition, shape.field, coerced.coerced);
      return { operation: shape.operation, fragments: shape.fragments, variables: params.variables, args };
    } catch {
      return null;
    }
  }

  #shapeOf(document: DocumentNode, operationName: string | undefined): OperationShape | null {
    let byName = this.#shapes.get(document);
    if (byName === undefined) this.#shapes.set(document, (byName = new Map()));
    const name = operationName ?? '';
    let shape = byName.get(name);
    if (shape === undefined) byName.set(name, (shape = shapeOf(this.schema, document, operationName)));
    return shape;
  }
}

/**
 * A subscription operation whose only root selection is the field itself:
 * no alias, no directive, no fragment at the root, so that graphql-js would
 * call `activityChanged`'s subscribe with exactly these arguments.
 */
function shapeOf(schema: GraphQLSchema, document: DocumentNode, operationName: string | undefined): OperationShape | null {
  const operation = getOperationAST(document, operationName);
  const definition = schema.getSubscriptionType()?.getFields()[FIELD];
  if (operation?.operation !== 'subscription' || definition === undefined || operation.directives?.length) return null;
  const [field, ...rest] = operation.selectionSet.selections;
  if (rest.length > 0 || field?.kind !== Kind.FIELD || field.name.value !== FIELD || field.alias !== undefined || field.directives?.length) return null;
  const fragments = document.definitions.filter((definition): definition is FragmentDefinitionNode => definition.kind === Kind.FRAGMENT_DEFINITION);
  return { operation, fragments, field, definition };
}

/** GraphQL-over-HTTP params, as Yoga's JSON parser and params check would take them. */
interface Params {
  readonly query: string;
  readonly variables: Readonly<Record<string, unknown>> | undefined;
  readonly operationName: string | undefined;
}

/** The body's params when they are plainly well-formed, else null (Yoga's to refuse or to read its own way). */
function paramsOf(body: Buffer): Params | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    return null;
  }
  if (!isRecord(parsed) || Object.keys(parsed).some((key) => !PARAMS.has(key))) return null;
  const { query, variables, operationName, extensions } = parsed;
  if (typeof query !== 'string' || (extensions !== undefined && extensions !== null && !isRecord(extensions))) return null;
  if (variables !== undefined && variables !== null && !isRecord(variables)) return null;
  if (operationName !== undefined && operationName !== null && (typeof operationName !== 'string' || operationName === '')) return null;
  return { query, variables: variables ?? undefined, operationName: operationName ?? undefined };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
