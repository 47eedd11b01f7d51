import type { GraphQLResolveInfo } from 'graphql';
import { pulseError } from '../core/errors.js';
import type { ActivityRecordInput } from '../domain/activity.js';
import type { ActivityStore, RecordResult } from '../store/types.js';
import type { MutationResolvers } from './generated/resolvers.js';
import type { PulseContext } from './context.js';
import { MAX_LENGTH, NOT_WELL_FORMED, validateActivityInput, type RawActivityInput } from './activity-input.js';
import { callBackend } from './backend.js';
import { childFields } from './sessions-wanted.js';

function timeBounds({ services }: PulseContext) {
  const { idleTimeoutMs, clockSkewMs } = services.limits;
  return { now: services.clock.now(), idleTimeoutMs, clockSkewMs };
}

/** One store write of a validated, masked batch: `record`, or `recordCount` when no session is wanted back. */
type Write<T> = (store: ActivityStore, batch: readonly ActivityRecordInput[], now: number) => Promise<T>;

async function record<T>(context: PulseContext, inputs: readonly RawActivityInput[], write: Write<T>): Promise<T> {
  const bounds = timeBounds(context);
  const batch = inputs.length === 1 && inputs[0] ? [validateActivityInput(inputs[0], bounds)] : inputs.map((input, i) => validateActivityInput(input, bounds, i));
  const { store, privacy } = context.services;
  // Masked inside the backend call: a salt that cannot be fetched fails the write as SERVICE_UNAVAILABLE, and nothing is stored.
  return callBackend(context, 'record', () => {
    const masked = privacy.addresses.mask(batch, bounds.now);
    // Only `hash` mode, on a day whose salt this process does not hold yet, has to wait before the write.
    return masked instanceof Promise ? masked.then((ready) => write(store, ready, bounds.now)) : write(store, masked, bounds.now);
  });
}

const withSessions: Write<RecordResult[]> = (store, batch, now) => store.record(batch, now);
const countOnly: Write<number> = (store, batch, now) => store.recordCount(batch, now);

/** Whether a `recordActivities` selects `sessions` (under any alias or fragment): if not, the store sends none back. */
function selectsSessions(info: GraphQLResolveInfo): boolean {
  return childFields(info, info.fieldNodes, 'sessions').length > 0;
}

function checkBatchSize(inputs: readonly RawActivityInput[], context: PulseContext): void {
  const { maxBatchSize } = context.services.limits;
  if (inputs.length <= maxBatchSize) return;
  context.services.metrics.limitRefusals.inc({ limit: 'MAX_BATCH_SIZE' });
  throw pulseError('BAD_USER_INPUT', `A batch holds at most ${maxBatchSize} events; got ${inputs.length}.`, {
    field: 'inputs',
    maxBatchSize,
  });
}

/**
 * `recordActivities` when only `recorded` is selected: the batch bound,
 * validation, masking and one store write that sends no session back.
 * Also what the plain-ingest fast path runs (http/plain-ingest.ts), so
 * that both answer alike.
 * @returns how many events were recorded
 * @throws GraphQLError as the resolver does: `BAD_USER_INPUT`, `SESSION_USER_MISMATCH`, `SERVICE_UNAVAILABLE`
 */
export async function recordCounted(inputs: readonly RawActivityInput[], context: PulseContext): Promise<number> {
  checkBatchSize(inputs, context);
  return inputs.length === 0 ? 0 : record(context, inputs, countOnly);
}

/** `Mutation` resolvers: validate everything first, then one atomic store write. */
export const Mutation: MutationResolvers = {
  recordActivity: async (_parent, { input }, context) => {
    const [result] = await record(context, [input], withSessions);
    if (!result) throw new Error('store returned no result for a recorded event');
    return result.session;
  },
  recordActivities: async (_parent, { inputs }, context, info) => {
    // `sessions` unselected is never read: an empty list stands in for it.
    if (!selectsSessions(info)) return { recorded: await recordCounted(inputs, context), sessions: [] };
    checkBatchSize(inputs, context);
    if (inputs.length === 0) return { recorded: 0, sessions: [] };
    const results = await record(context, inputs, withSessions);
    return { recorded: results.length, sessions: results.map((r) => r.session) };
  },
  endSession: async (_parent, { sessionId }, context) => {
    checkId('sessionId', sessionId);
    const { store, clock } = context.services;
    const ended = await callBackend(context, 'end_session', () => store.endSession(sessionId, clock.now()));
    return ended !== null;
  },
  eraseUser: async (_parent, { userId }, context) => {
    // Mutations are open to ingest tools, which may end a session but never erase a person.
    if (!context.viewer?.roles.has('admin')) throw pulseError('FORBIDDEN', 'eraseUser requires the admin role.');
    checkId('userId', userId);
    const { store, clock } = context.services;
    const erased = await callBackend(context, 'erase_user', () => store.eraseUser(userId, clock.now()));
    // The user id is what an audit needs; nothing else about the person is logged.
    context.logger.info({ userId, endedSessions: erased.endedSessions.length, historyEntriesRemoved: erased.historyEntriesRemoved }, 'user erased');
    return erased;
  },
};

/** An id argument: 1 to its bound in characters, well-formed Unicode, else `BAD_USER_INPUT` naming it. */
function checkId(field: 'sessionId' | 'userId', value: string): void {
  if (value.length === 0 || value.length > MAX_LENGTH[field]) {
    throw pulseError('BAD_USER_INPUT', `${field} must be 1 to ${MAX_LENGTH[field]} characters`, { field });
  }
  if (!value.isWellFormed()) throw pulseError('BAD_USER_INPUT', `${field} ${NOT_WELL_FORMED}`, { field });
}
