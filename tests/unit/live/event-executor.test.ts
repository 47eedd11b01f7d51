import { makeExecutableSchema } from '@graphql-tools/schema';
import { stringifyDocument } from '@urql/core';
import { parse, subscribe, type DocumentNode, type ExecutionResult, type GraphQLError, type GraphQLSchema } from 'graphql';
import { maskError } from 'graphql-yoga';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { ActivityChange, ActivityRecordInput } from '../../../server/domain/activity.js';
import { changeToWire, toWire, type WireEvent } from '../../../server/domain/events.js';
import { createEventExecutor } from '../../../server/live/fanout/event-executor.js';
import { resolvers } from '../../../server/resolvers/index.js';
import { createPulseSchema, loadTypeDefs } from '../../../server/root/schema.js';
import { createMemoryStore } from '../../../server/store/memory.js';
import { ActivityChangedSubscription } from '../../../client/lib/operations.js';
import { formatCursor } from '../../../server/domain/cursor.js';
import { ALIASED_WITH_ERRORS, FULL } from '../../support/fanout-documents.js';

/**
 * A fan-out group executes each event once, with its own executor, for
 * every member. What a member gets must be what graphql-js's own
 * `subscribe` gives one subscriber for the same source events (each mapped
 * through `execute`, variables coerced per event), after Yoga's error
 * masking: that is checked here, for documents with fragments, aliases,
 * variables and error-producing arguments, on real events from the store.
 */


const CASES: readonly { readonly name: string; readonly query: string; readonly variables: Record<string, unknown> }[] = [
  { name: 'fragments and variables', query: FULL, variables: { first: 5, limit: 2 } },
  { name: 'no variables at all', query: FULL, variables: {} },
  { name: 'aliases and arguments out of range (error results)', query: ALIASED_WITH_ERRORS, variables: { limit: 99 } },
];

const EPOCH = 'test-epoch';
const NOW = Date.UTC(2026, 11, 2, 12);

const input = (sessionId: string, userId: string, path: string, at: number): ActivityRecordInput => ({
  sessionId,
  userId,
  userName: `User ${userId}`,
  ipAddress: '203.0.113.7',
  path,
  userAgent: 'test',
  at,
});

/** Every kind of event a stream carries, made by the real memory store. */
async function realEvents(): Promise<WireEvent[]> {
  const changes: ActivityChange[] = [];
  const store = createMemoryStore({ deliver: (delivered) => void changes.push(...delivered) });
  await store.record([input('s1', 'u1', '/shop/a', NOW), input('s2', 'u2', '/blog', NOW + 1)], NOW + 1);
  await store.record([input('s1', 'u1', '/shop/b', NOW + 2), input('s3', 'u1', '/home', NOW + 3)], NOW + 3);
  await store.endSession('s2', NOW + 4);
  const snapshot = await store.snapshot({ first: 10 }, NOW + 5, 50);
  const stats = await store.stats(NOW + 6, 50);
  return [
    toWire({ type: 'Snapshot', cursor: snapshot.cursor, at: NOW + 5, stats: snapshot.stats, page: snapshot.page, resume: 'FRESH' }, EPOCH),
    toWire({ type: 'Snapshot', cursor: snapshot.cursor, at: NOW + 5, stats: snapshot.stats, page: snapshot.page, resume: 'CURSOR_TOO_OLD' }, EPOCH),
    toWire({ type: 'Resumed', cursor: [1], at: NOW + 5, stats: snapshot.stats }, EPOCH),
    ...changes.map((change) => changeToWire(change, EPOCH, [change.cursor])),
    toWire({ type: 'StatsChanged', cursor: [changes.at(-1)?.cursor ?? 0], at: NOW + 6, stats }, EPOCH),
  ];
}

async function* sourceOf(events: readonly WireEvent[]): AsyncGenerator<WireEvent> {
  yield* events;
}

/**
 * Pulse's schema, but with `activityChanged`'s source replaced by `events`:
 * graphql-js's own `subscribe` then maps each one through the same field
 * resolvers, for one subscriber, as it would without fan-out.
 */
function referenceSchema(events: readonly WireEvent[]): GraphQLSchema {
  const { resolve } = resolvers.Subscription?.activityChanged as unknown as { resolve: (item: WireEvent) => unknown };
  return makeExecutableSchema({
    typeDefs: loadTypeDefs(),
    resolvers: { ...resolvers, Subscription: { activityChanged: { subscribe: () => sourceOf(events), resolve } } },
  });
}

/**
 * What Yoga writes for a result: unexpected errors masked, Pulse's own
 * (with a code) kept, and the `http` extension (a status hint for Yoga
 * itself) left out, as its result stringifier does.
 */
function asYogaWritesIt(result: ExecutionResult): unknown {
  const json = JSON.parse(JSON.stringify(result.errors?.length ? { ...result, errors: result.errors.map((error) => maskError(error, 'Unexpected error.', false) as GraphQLError) } : result)) as {
    errors?: { extensions?: Record<string, unknown> }[];
  };
  for (const error of json.errors ?? []) delete error.extensions?.http;
  return json;
}

const contextValue = { viewer: { sub: 'admin', roles: new Set(['admin']) } };

/** What graphql-js's `subscribe` gives one subscriber with these variables, for these source events, as Yoga writes it. */
async function subscribedAlone(events: readonly WireEvent[], document: DocumentNode, variables: Record<string, unknown>): Promise<unknown[]> {
  const reference = await subscribe({ schema: referenceSchema(events), document, variableValues: variables, contextValue });
  if (!(Symbol.asyncIterator in reference)) throw new Error(`subscribe refused: ${JSON.stringify(reference)}`);
  const results: unknown[] = [];
  for await (const result of reference) results.push(asYogaWritesIt(result));
  return results;
}

describe('a fan-out group executes each event as graphql-js subscribe does for one subscriber', () => {
  const schema = createPulseSchema();
  const logger = pino({ level: 'silent' });

  it.each(CASES)('$name', async ({ query, variables }) => {
    const events = await realEvents();
    const document = parse(query);
    const expected = await subscribedAlone(events, document, variables);

    const execute = createEventExecutor({ schema, document, operationName: undefined, variableValues: variables, contextValue }, logger);
    const grouped = events.map((event) => JSON.parse(execute(event)) as unknown);

    expect(grouped).toEqual(expected);
    expect(expected).toHaveLength(events.length);
    // The comparison covers every kind of event, and error results too.
    const text = JSON.stringify(expected);
    for (const kind of ['Snapshot', 'Resumed', 'SessionStarted', 'SessionUpdated', 'SessionEnded', 'UserJoined', 'UserLeft', 'StatsChanged']) {
      if (query === FULL) expect(text).toContain(`"${kind}"`);
    }
    if (query === ALIASED_WITH_ERRORS) expect(text).toContain('BAD_USER_INPUT');
  });
});

/**
 * Resumers share a group with fresh subscribers (the group key leaves out
 * the variable that feeds `since`), so the group's executor carries the
 * `since` of whichever member opened the group, and executes every member's
 * events with it: its live changes, and the first events and replayed
 * changes each member gets alone. Each member must still get what
 * graphql-js gives it with its own `since`: checked here for every pairing,
 * on the client library's own operation, the one resumers send.
 */
describe('the since of the member that opened a group plays no part in executing any event', () => {
  const schema = createPulseSchema();
  const logger = pino({ level: 'silent' });
  const document = parse(stringifyDocument(ActivityChangedSubscription));
  const SINCE: readonly { readonly name: string; readonly variables: Record<string, unknown> }[] = [
    { name: 'no since', variables: { first: 5 } },
    { name: 'since null', variables: { first: 5, since: null } },
    { name: 'an early cursor', variables: { first: 5, since: formatCursor({ epoch: EPOCH, seqs: [1] }) } },
    { name: 'a late cursor of another epoch', variables: { first: 5, since: formatCursor({ epoch: 'other-epoch', seqs: [900] }) } },
  ];

  it.each(SINCE)('a group opened with $name executes every event as each member with its own since would have it', async ({ variables: groupVariables }) => {
    const events = await realEvents();
    const execute = createEventExecutor({ schema, document, operationName: undefined, variableValues: groupVariables, contextValue }, logger);
    const grouped = events.map((event) => JSON.parse(execute(event)) as unknown);
    for (const { name, variables } of SINCE) expect(grouped, `a member with ${name}`).toEqual(await subscribedAlone(events, document, variables));
    // Every kind of event was compared, with data, not errors.
    const text = JSON.stringify(grouped);
    for (const kind of ['Snapshot', 'Resumed', 'SessionStarted', 'SessionUpdated', 'SessionEnded', 'UserJoined', 'UserLeft', 'StatsChanged']) expect(text).toContain(`"${kind}"`);
    expect(text).not.toContain('"errors"');
  });
});
