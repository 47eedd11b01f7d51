/** Kept while importers move to server/config/index.ts. */
export * from './config/index.js';
