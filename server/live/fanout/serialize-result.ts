import type { ExecutionResult, GraphQLError, GraphQLFormattedError } from 'graphql';

/** Extensions that steer the server (Yoga's HTTP status hint, its masking mark) and are never sent. */
const INTERNAL_EXTENSIONS = new Set(['http', 'unexpected']);

function publicError(error: GraphQLError): GraphQLFormattedError {
  const formatted = error.toJSON();
  if (!formatted.extensions) return formatted;
  const extensions = Object.fromEntries(Object.entries(formatted.extensions).filter(([name]) => !INTERNAL_EXTENSIONS.has(name)));
  const { extensions: _internal, ...rest } = formatted;
  return Object.keys(extensions).length > 0 ? { ...rest, extensions } : rest;
}

/**
 * The JSON text of one execution result as every transport sends it: what
 * Yoga's own result processors write (errors without internal extensions),
 * so a grouped subscriber gets the very bytes an ungrouped one would.
 */
export function serializeResult(result: ExecutionResult): string {
  if (!result.errors?.length) return JSON.stringify(result);
  return JSON.stringify({ ...result, errors: result.errors.map(publicError) });
}
