import { parse, specifiedRules, validate, type DocumentNode, type GraphQLSchema, type ParseOptions, type Source, type ValidationRule } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { pulseError } from '../core/errors.js';
import { operationLimitsRule } from './query-limits.js';
import type { RequestLimits } from './request-limits.js';

/** Options of {@link createDocumentLimits}. */
export type DocumentLimitsOptions = Pick<RequestLimits, 'maxDocumentBytes' | 'maxDocumentTokens' | 'maxQueryDepth' | 'maxQueryFields'>;

/** Told of each document refused, with the setting it passed (`MAX_DOCUMENT_BYTES`, …). */
export type OnLimit = (limit: string) => void;

/** Documents kept by their text: as many as Yoga's own parser cache holds. */
const CACHED_DOCUMENTS = 1024;

function byteLength(source: string | Source): number {
  const text = typeof source === 'string' ? source : source.body;
  // A string's UTF-8 length is at least its UTF-16 length: a huge document is refused without counting it.
  return text.length > 4 * 1024 * 1024 ? Number.POSITIVE_INFINITY : Buffer.byteLength(text, 'utf8');
}

/** The document limits of one server: Yoga's plugin, and the same parse and validation for a transport that runs before Yoga. */
export interface DocumentLimits {
  /** Holds every document Yoga parses and validates to the limits (see {@link useDocumentLimits}). */
  readonly plugin: Plugin;
  /**
   * The document of `query` when it is within the size and token limits, or
   * null, with nothing counted (the request is then Yoga's to refuse, which
   * counts it once). One text gives one document object wherever it is
   * parsed, here or in Yoga's pipeline: fan-out groups tell operations apart
   * by that object.
   */
  documentOf(query: string): DocumentNode | null;
  /**
   * Whether Yoga's validation would pass `document`: graphql's specified
   * rules and the depth and field limits, nothing counted; remembered per
   * document.
   */
  isValid(schema: GraphQLSchema, document: DocumentNode): boolean;
}

/**
 * Creates the document limits: a plugin for Yoga's pipeline, and the same
 * checks, quiet, for the distinct-mode fast path, over one cache of parsed
 * documents. The plugin holds every document to the size, token, depth and
 * field limits in the Yoga pipeline (`onParse`, `onValidate`), so GraphQL
 * over HTTP, both graphql-sse modes and graphql-ws (which call the
 * enveloped `parse` and `validate`) are all covered. Each refusal is a
 * `BAD_USER_INPUT` error naming the limit in `extensions.limit`.
 */
export function createDocumentLimits({ maxDocumentBytes, maxDocumentTokens, maxQueryDepth, maxQueryFields }: DocumentLimitsOptions, onLimit: OnLimit = () => {}): DocumentLimits {
  const documents = new Map<string, DocumentNode>();
  const remember = (text: string, document: DocumentNode): DocumentNode => {
    // Map order is insertion order: the oldest text goes first.
    if (documents.size >= CACHED_DOCUMENTS) documents.delete(documents.keys().next().value as string);
    documents.set(text, document);
    return document;
  };
  const refuse = (message: string, limit: string): never => {
    onLimit(limit);
    throw pulseError('BAD_USER_INPUT', message, { limit });
  };
  const limitedParse = (source: string | Source, options?: ParseOptions): DocumentNode => {
    const cached = typeof source === 'string' && options === undefined ? documents.get(source) : undefined;
    if (cached !== undefined) return cached;
    try {
      const document = parse(source, { ...options, maxTokens: maxDocumentTokens });
      return typeof source === 'string' && options === undefined ? remember(source, document) : document;
    } catch (error) {
      // graphql 16 says "Document contains more that N tokens" (sic); say which setting it is.
      if (error instanceof Error && /contains more th\w+ \d+ tokens/.test(error.message)) {
        refuse(`The document has more than ${maxDocumentTokens} tokens (MAX_DOCUMENT_TOKENS).`, 'MAX_DOCUMENT_TOKENS');
      }
      throw error;
    }
  };
  const rule = operationLimitsRule(maxQueryDepth, maxQueryFields, onLimit);
  const quietRules: readonly ValidationRule[] = [...specifiedRules, operationLimitsRule(maxQueryDepth, maxQueryFields)];
  const validity = new WeakMap<DocumentNode, boolean>();
  return {
    plugin: {
      onParse({ params, setParseFn }) {
        if (byteLength(params.source as string | Source) > maxDocumentBytes) {
          refuse(`The document is longer than ${maxDocumentBytes} bytes (MAX_DOCUMENT_BYTES).`, 'MAX_DOCUMENT_BYTES');
        }
        setParseFn(limitedParse);
      },
      onValidate({ addValidationRule }) {
        addValidationRule(rule);
      },
    },
    documentOf(query) {
      const cached = documents.get(query);
      if (cached !== undefined) return cached;
      if (byteLength(query) > maxDocumentBytes) return null;
      try {
        return remember(query, parse(query, { maxTokens: maxDocumentTokens }));
      } catch {
        return null;
      }
    },
    isValid(schema, document) {
      let valid = validity.get(document);
      if (valid === undefined) validity.set(document, (valid = validate(schema, document, quietRules).length === 0));
      return valid;
    },
  };
}
