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
    'server/resolvers/generated/resolvers.ts': {
      plugins: ['typescript', 'typescript-resolvers'],
      config: {
        useTypeImports: true,
        strictScalars: true,
        enumsAsTypes: true,
        immutableTypes: true,
        useIndexSignature: false,
        contextType: '../context.js#PulseContext',
        scalars: {
          // Inside Pulse a cursor is a sequence number; it leaves a stream with its epoch (server/domain/cursor.ts).
          Cursor: { input: '../../domain/cursor.js#CursorPosition', output: '../../domain/cursor.js#CursorPosition' },
          DateTime: { input: 'number', output: 'number' },
        },
        mappers: {
          Session: '../../domain/activity.js#SessionRecord',
          User: '../../domain/activity.js#UserRef',
          ActiveUser: '../../domain/activity.js#ActiveUserRecord',
          Stats: '../../domain/activity.js#StatsRecord',
          ActiveUserConnection: '../../domain/activity.js#ActiveUsersPage',
          SessionStarted: '../../domain/events.js#WireSessionStarted',
          SessionUpdated: '../../domain/events.js#WireSessionUpdated',
          SessionEnded: '../../domain/events.js#WireSessionEnded',
          UserJoined: '../../domain/events.js#WireUserJoined',
          UserLeft: '../../domain/events.js#WireUserLeft',
          Snapshot: '../../domain/events.js#WireSnapshot',
          Resumed: '../../domain/events.js#WireResumed',
          StatsChanged: '../../domain/events.js#WireStatsChanged',
        },
      },
    },
  },
};

export default config;
