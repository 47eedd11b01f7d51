import { pulseError } from '../core/errors.js';
import type { MutationResolvers } from './generated/resolvers.js';
import type { PulseContext } from './context.js';
import { MAX_LENGTH, NOT_WELL_FORMED, validateActivityInput, type RawActivityInput } from './activity-input.js';
import { callBackend } from './backend.js';

function timeBounds({ services }: PulseContext) {
  const { idleTimeoutMs, clockSkewMs } = services.limits;
  return { now: services.clock.now(), idleTimeoutMs, clockSkewMs };
}

async function record(context: PulseContext, inputs: readonly RawActivityInput[]) {
  const bounds = timeBounds(context);
  const batch = inputs.length === 1 && inputs[0] ? [validateActivityInput(inputs[0], bounds)] : inputs.map((input, i) => validateActivityInput(input, bounds, i));
  return callBackend(context, 'record', () => context.services.store.record(batch, bounds.now));
}

/** `Mutation` resolvers: validate everything first, then one atomic store write. */
export const Mutation: MutationResolvers = {
  recordActivity: async (_parent, { input }, context) => {
    const [result] = await record(context, [input]);
    if (!result) throw new Error('store returned no result for a recorded event');
    return result.session;
  },
  recordActivities: async (_parent, { inputs }, context) => {
    const { maxBatchSize } = context.services.limits;
    if (inputs.length > maxBatchSize) {
      context.services.metrics.limitRefusals.inc({ limit: 'MAX_BATCH_SIZE' });
      throw pulseError('BAD_USER_INPUT', `A batch holds at most ${maxBatchSize} events; got ${inputs.length}.`, {
        field: 'inputs',
        maxBatchSize,
      });
    }
    if (inputs.length === 0) return { recorded: 0, sessions: [] };
    const results = await record(context, inputs);
    return { recorded: results.length, sessions: results.map((r) => r.session) };
  },
  endSession: async (_parent, { sessionId }, context) => {
    if (sessionId.length === 0 || sessionId.length > MAX_LENGTH.sessionId) {
      throw pulseError('BAD_USER_INPUT', `sessionId must be 1 to ${MAX_LENGTH.sessionId} characters`, { field: 'sessionId' });
    }
    if (!sessionId.isWellFormed()) throw pulseError('BAD_USER_INPUT', `sessionId ${NOT_WELL_FORMED}`, { field: 'sessionId' });
    const { store, clock } = context.services;
    const ended = await callBackend(context, 'end_session', () => store.endSession(sessionId, clock.now()));
    return ended !== null;
  },
};
