import type { CodegenConfig } from '@graphql-codegen/cli';

/**
 * Generates, from `schema/`, the server's resolver and model types and the
 * client's typed operations (the client preset reads `graphql()` calls in
 * `client/`).
 * `npm run codegen` writes them; `npm run typecheck` runs with `--check`
 * and fails when the committed output is stale.
 */
const config: CodegenConfig = {
  schema: 'schema/*.graphql',
  ignoreNoDocuments: false,
  generates: {
    'client/generated/': {
      preset: 'client',
      documents: ['client/lib/**/*.ts', 'client/dashboard/**/*.ts'],
      config: {
        useTypeImports: true,
        strictScalars: true,
        enumsAsTypes: true,
        scalars: { Cursor: 'string', DateTime: 'string' },
        // NodeNext resolution needs explicit `.js` imports, not CommonJS-style ones.
        importExtension: '.js',
      },
      presetConfig: { fragmentMasking: false },
    },
    'server/generated/resolvers.ts': {
      plugins: ['typescript', 'typescript-resolvers'],
      config: {
        useTypeImports: true,
        strictScalars: true,
        enumsAsTypes: true,
        immutableTypes: true,
        useIndexSignature: false,
        contextType: '../context.js#PulseContext',
        scalars: {
          Cursor: { input: 'string', output: 'number' },
          DateTime: { input: 'number', output: 'number' },
        },
        mappers: {
          Session: '../domain/activity.js#SessionRecord',
          User: '../domain/activity.js#UserRef',
          ActiveUser: '../domain/activity.js#ActiveUserRecord',
          Stats: '../domain/activity.js#StatsRecord',
          ActiveUserConnection: '../store/types.js#ActiveUsersPage',
          SessionStarted: '../domain/activity.js#SessionStartedChange',
          SessionUpdated: '../domain/activity.js#SessionUpdatedChange',
          SessionEnded: '../domain/activity.js#SessionEndedChange',
          UserJoined: '../domain/activity.js#UserJoinedChange',
          UserLeft: '../domain/activity.js#UserLeftChange',
          Snapshot: '../domain/events.js#SnapshotEvent',
          StatsChanged: '../domain/events.js#StatsChangedEvent',
        },
      },
    },
  },
};

export default config;
