import type { ExecutionResult } from 'graphql';
import type { Plugin } from 'graphql-yoga';

function isStream(result: unknown): boolean {
  return typeof result === 'object' && result !== null && Symbol.asyncIterator in result;
}

/**
 * Gives a refused subscription (`TOO_MANY_SUBSCRIPTIONS`, a failing
 * backend) an explicit `data: null`. graphql-js leaves `data` out when the
 * subscribe function throws, and graphql-sse's single connection handler
 * only recognises a result that has a `data` key: without it the refusal
 * turned into a bare 400 "Unable to detect operation AST" and its code was lost.
 */
export function useExplicitNullDataOnRefusal(): Plugin {
  return {
    onSubscribe() {
      return {
        onSubscribeResult({ result, setResult }) {
          if (isStream(result)) return;
          const single = result as ExecutionResult;
          if (single.errors?.length && !('data' in single)) setResult({ data: null, errors: single.errors });
        },
      };
    },
  };
}
