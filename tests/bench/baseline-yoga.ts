/**
 * Baseline 1, the obvious setup: a bare GraphQL Yoga server whose
 * subscription is fed by Redis pub/sub through graphql-redis-subscriptions
 * (`@graphql-yoga/redis-event-target` is not installed), one PUBLISH per
 * event, and Yoga executing the subscription's selection for every
 * subscriber and every event. Same schema file as Pulse, so the bench's
 * documents and event shape are the same; no auth, no limits, no snapshot.
 * Run as its own process by run.ts:
 * `REDIS_URL=... BENCH_CHANNEL=... node --import tsx tests/bench/baseline-yoga.ts`;
 * prints `Yoga baseline listening on http://...`.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { RedisPubSub } from 'graphql-redis-subscriptions';
import { createSchema, createYoga } from 'graphql-yoga';
import { Redis } from 'ioredis';
import { baselineSetup, type BaselineInput as Input } from './baseline-setup.js';

const { redisUrl, channel } = baselineSetup('bench:yoga');

const pubsub = new RedisPubSub({ publisher: new Redis(redisUrl), subscriber: new Redis(redisUrl) });
let cursor = 0;

const schema = createSchema({
  typeDefs: readFileSync(new URL('../../schema/pulse.graphql', import.meta.url), 'utf8'),
  resolvers: {
    Mutation: {
      recordActivities: async (_parent: unknown, { inputs }: { inputs: Input[] }) => {
        await Promise.all(
          inputs.map(({ sessionId, userId, path = null, at }) => {
            cursor += 1;
            const event = { __typename: 'SessionUpdated', cursor: String(cursor), at: at ?? new Date().toISOString(), session: { id: sessionId, userId, path } };
            return pubsub.publish(channel, event);
          }),
        );
        return { recorded: inputs.length, sessions: [] };
      },
    },
    Subscription: {
      activityChanged: {
        subscribe: () => pubsub.asyncIterableIterator(channel),
        resolve: (event: unknown) => event,
      },
    },
  },
});

const yoga = createYoga({ schema, graphqlEndpoint: '/graphql', landingPage: false, graphiql: false, logging: 'warn' });
const server = createServer(yoga);
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  process.stdout.write(`Yoga baseline listening on http://127.0.0.1:${port}\n`);
});
process.on('SIGTERM', () => process.exit(0));
