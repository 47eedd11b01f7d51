/** GraphQL over HTTP for the generator: one POST, checked, with plain `node:http`. */
import { request, type Agent } from 'node:http';

/**
 * Sends `{ query, variables }` and resolves with the `data` object.
 * @throws Error for a non-200 status, a body that is not JSON, or a result with `errors` (the first message in it)
 */
export async function postGraphql(url: string, token: string, query: string, variables: unknown, agent: Agent): Promise<unknown> {
  const body = JSON.stringify({ query, variables });
  try {
    return await post(url, token, body, agent);
  } catch (error) {
    // Node's documented keep-alive race: the server closed an idle socket just as the agent reused it, so the
    // request never reached the server. Sending it again on a fresh socket is what the Node docs advise.
    if (!(error instanceof StaleSocketError)) throw error;
    return post(url, token, body, agent);
  }
}

/** A request that failed on a reused keep-alive socket before any answer. */
class StaleSocketError extends Error {
  override name = 'StaleSocketError';
}

function post(url: string, token: string, body: string, agent: Agent): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const req = request(url, {
      method: 'POST',
      agent,
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), authorization: `Bearer ${token}` },
    });
    req.once('error', (error: NodeJS.ErrnoException) =>
      reject(req.reusedSocket && error.code === 'ECONNRESET' ? new StaleSocketError(error.message) : error),
    );
    req.once('response', (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.once('error', reject);
      res.once('end', () => {
        try {
          resolve(dataOf(res.statusCode ?? 0, text));
        } catch (error) {
          reject(error);
        }
      });
    });
    req.end(body);
  });
}

function dataOf(status: number, text: string): unknown {
  let parsed: { data?: unknown; errors?: ReadonlyArray<{ message?: string }> };
  try {
    parsed = JSON.parse(text) as typeof parsed;
  } catch {
    throw new Error(`HTTP ${status}, not JSON: ${text.slice(0, 200)}`);
  }
  if (status !== 200 || parsed.errors !== undefined) throw new Error(`HTTP ${status}: ${parsed.errors?.[0]?.message ?? text.slice(0, 200)}`);
  return parsed.data;
}
