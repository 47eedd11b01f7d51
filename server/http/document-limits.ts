import { parse, type DocumentNode, type ParseOptions, type Source } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { pulseError } from '../core/errors.js';
import { operationLimitsRule } from './query-limits.js';
import type { RequestLimits } from './request-limits.js';

/** Options of {@link useDocumentLimits}. */
export type DocumentLimitsOptions = Pick<RequestLimits, 'maxDocumentBytes' | 'maxDocumentTokens' | 'maxQueryDepth' | 'maxQueryFields'>;

/** Told of each document refused, with the setting it passed (`MAX_DOCUMENT_BYTES`, …). */
export type OnLimit = (limit: string) => void;

function byteLength(source: string | Source): number {
  const text = typeof source === 'string' ? source : source.body;
  // A string's UTF-8 length is at least its UTF-16 length: a huge document is refused without counting it.
  return text.length > 4 * 1024 * 1024 ? Number.POSITIVE_INFINITY : Buffer.byteLength(text, 'utf8');
}

/**
 * Holds every document to the size, token, depth and field limits. Lives in
 * the Yoga pipeline (`onParse`, `onValidate`), so GraphQL over HTTP, both
 * graphql-sse modes and graphql-ws (which call the enveloped `parse` and
 * `validate`) are all covered. Each refusal is a `BAD_USER_INPUT` error
 * naming the limit in `extensions.limit`.
 */
export function useDocumentLimits(
  { maxDocumentBytes, maxDocumentTokens, maxQueryDepth, maxQueryFields }: DocumentLimitsOptions,
  onLimit: OnLimit = () => {},
): Plugin {
  const refuse = (message: string, limit: string): never => {
    onLimit(limit);
    throw pulseError('BAD_USER_INPUT', message, { limit });
  };
  const limitedParse = (source: string | Source, options?: ParseOptions): DocumentNode => {
    try {
      return parse(source, { ...options, maxTokens: maxDocumentTokens });
    } catch (error) {
      // graphql 16 says "Document contains more that N tokens" (sic); say which setting it is.
      if (error instanceof Error && /contains more th\w+ \d+ tokens/.test(error.message)) {
        refuse(`The document has more than ${maxDocumentTokens} tokens (MAX_DOCUMENT_TOKENS).`, 'MAX_DOCUMENT_TOKENS');
      }
      throw error;
    }
  };
  const rule = operationLimitsRule(maxQueryDepth, maxQueryFields, onLimit);
  return {
    onParse({ params, setParseFn }) {
      if (byteLength(params.source as string | Source) > maxDocumentBytes) {
        refuse(`The document is longer than ${maxDocumentBytes} bytes (MAX_DOCUMENT_BYTES).`, 'MAX_DOCUMENT_BYTES');
      }
      setParseFn(limitedParse);
    },
    onValidate({ addValidationRule }) {
      addValidationRule(rule);
    },
  };
}
