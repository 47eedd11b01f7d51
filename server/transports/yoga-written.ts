import { isAsyncIterable, type Plugin } from 'graphql-yoga';
import { IteratedSink } from '../live/fanout/iterated-sink.js';

/**
 * The subscriptions whose responses Yoga writes itself (`yoga.fetch` in
 * process, HTTP subscriptions without a direct writer, e.g. multipart):
 * their context's sink is an {@link IteratedSink}, and its results replace
 * the operation's own result stream, so that they are grouped and executed
 * once per group like every other transport's, and Yoga's processor only
 * frames the group's JSON.
 */
export function useIteratedSinks(): Plugin {
  return {
    onExecutionResult({ result, setResult, context }) {
      const sink: unknown = (context as { resultSink?: unknown }).resultSink;
      if (!(sink instanceof IteratedSink) || !isAsyncIterable(result)) return;
      // A held stream's own iterator has ended already; it is let go of all the same.
      void result[Symbol.asyncIterator]().return?.();
      setResult(sink.results());
    },
  };
}
