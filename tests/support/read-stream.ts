/**
 * Reads a streaming response body as text until `enough(text)` holds (then
 * cancels the rest) or the body ends; resolves with what was read. For event
 * streams of subscriptions, which never end by themselves.
 */
export async function readStreamUntil(response: Response, enough: (text: string) => boolean): Promise<string> {
  const reader = response.body?.getReader();
  const decoder = new TextDecoder();
  let text = '';
  for (;;) {
    const chunk = await reader?.read();
    if (!chunk || chunk.done) return text;
    text += decoder.decode(chunk.value, { stream: true });
    if (enough(text)) {
      await reader?.cancel();
      return text;
    }
  }
}
