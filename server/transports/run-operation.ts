import { getOperationAST, GraphQLError, type ExecutionArgs, type ExecutionResult } from 'graphql';
import type { YogaInitialContext, YogaServerInstance } from 'graphql-yoga';

/** A Yoga instance seen only through `getEnveloped`, whatever its contexts. */
type AnyYoga = YogaServerInstance<Record<string, unknown>, Record<string, unknown>>;

/** The operation a transport received. */
export interface OperationParams {
  readonly query: string;
  readonly variables?: Record<string, unknown> | null;
  readonly operationName?: string | null;
}

/**
 * How {@link runOperation} ended: refused before execution, not run at all
 * because its connection was dropped meanwhile, or executed (a stream or one result).
 */
export type OperationOutcome =
  | { readonly refused: GraphQLError[] }
  | { readonly dropped: true }
  | { readonly args: ExecutionArgs; readonly result: ExecutionResult | AsyncIterable<ExecutionResult> };

/** The connection an operation arrived on, as far as running it goes: once it is closed, nothing more is executed for it. */
export interface OperationConnectionState {
  readonly open: boolean;
}

const DROPPED = { dropped: true } as const;
const ALWAYS_OPEN: OperationConnectionState = { open: true };

/**
 * Errors for a transport outside Yoga's HTTP responses: Yoga's `http`
 * status hint means nothing on a socket or an event stream.
 */
export function withoutHttpHint(errors: readonly GraphQLError[]): GraphQLError[] {
  return errors.map((error) => {
    const { http: _http, ...extensions } = error.extensions;
    return new GraphQLError(error.message, { extensions, path: error.path, nodes: error.nodes });
  });
}

/**
 * Parses, validates and runs one operation through Yoga's pipeline (its
 * plugins, limits, auth checks and masking), for the transports Yoga does
 * not serve itself: graphql-ws and single-connection SSE. A document refused
 * before execution (a syntax error, a size or token limit, a validation
 * rule) comes back as `refused` instead of being thrown, which would make
 * either transport drop the whole connection. Once `connection` is closed
 * (checked before parsing and again before executing) it answers `dropped`.
 */
export async function runOperation(
  yoga: Pick<AnyYoga, 'getEnveloped'>,
  initialContext: Record<string, unknown>,
  params: OperationParams,
  connection: OperationConnectionState = ALWAYS_OPEN,
): Promise<OperationOutcome> {
  // A dropped connection's pending operations are not parsed, executed or serialised: nobody would read them.
  if (!connection.open) return DROPPED;
  // Each transport passes its own server-context fields (viewer, request, params); Yoga merges them as they are.
  const enveloped = yoga.getEnveloped(initialContext as Partial<YogaInitialContext>);
  let document;
  try {
    document = enveloped.parse(params.query);
  } catch (error) {
    if (error instanceof GraphQLError) return { refused: withoutHttpHint([error]) };
    throw error;
  }
  const validationErrors = enveloped.validate(enveloped.schema, document);
  if (validationErrors.length > 0) return { refused: withoutHttpHint(validationErrors) };
  const args: ExecutionArgs = {
    schema: enveloped.schema,
    document,
    operationName: params.operationName,
    variableValues: params.variables,
    contextValue: await enveloped.contextFactory(),
  };
  if (!connection.open) return DROPPED;
  const isSubscription = getOperationAST(document, params.operationName)?.operation === 'subscription';
  const result = await (isSubscription ? enveloped.subscribe(args) : enveloped.execute(args));
  return { args, result: result as ExecutionResult | AsyncIterable<ExecutionResult> };
}
