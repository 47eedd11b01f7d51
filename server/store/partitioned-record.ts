import type { ActivityRecordInput } from '../domain/activity.js';
import { SessionUserMismatchError } from '../core/errors.js';
import { partitionOfUser } from '../redis/partitions.js';

/**
 * How a partitioned store splits a `record` batch: each event goes to its
 * session's partition, which is its user's (`partitionOfUser`). An event
 * that names, for a session, another user than the batch named first for it
 * goes where that first event went, so that partition's script sees both and
 * refuses it as the one store would (a session belongs to the first user a
 * batch names for it). Order within each part is the batch's.
 */

/** One partition's part of a batch: the batch indexes of its events, in order. */
export interface BatchPart {
  readonly partition: number;
  readonly indexes: readonly number[];
}

/** Splits `inputs` over `partitions`; parts with no event are left out. */
export function splitBatch(inputs: readonly ActivityRecordInput[], partitions: number): BatchPart[] {
  const sessionPartition = new Map<string, number>();
  const parts = new Map<number, number[]>();
  inputs.forEach(({ sessionId, userId }, index) => {
    let partition = sessionPartition.get(sessionId);
    if (partition === undefined) {
      partition = partitionOfUser(userId, partitions);
      sessionPartition.set(sessionId, partition);
    }
    const part = parts.get(partition);
    if (part) part.push(index);
    else parts.set(partition, [index]);
  });
  return [...parts].map(([partition, indexes]) => ({ partition, indexes }));
}

/**
 * A partitioned batch refused in some partitions: `indexes` (of the whole
 * batch) are every event refused, in any partition; each refusing partition
 * wrote nothing of its part, but the other partitions' parts were recorded
 * and published (`recorded` events), since partitions do not commit
 * together. A retry of the whole batch records those events again (each
 * counts once more, as any repeated event does): retry only the refused
 * partitions' events, or correct the batch.
 */
export class PartitionedMismatchError extends SessionUserMismatchError {
  constructor(indexes: readonly number[], recorded: number) {
    super(indexes, recorded);
    this.name = 'PartitionedMismatchError';
    if (recorded > 0) this.message += `; ${recorded} events of the batch in other partitions were recorded`;
  }
}

/**
 * Runs each part (in parallel) and gathers what they answered, in batch
 * order. A part's `SessionUserMismatchError` counts its indexes (mapped
 * back to the batch); any other failure rejects the whole call once every
 * part has settled (parts that succeeded stay written, as in any backend
 * failure between two partitions).
 * @throws PartitionedMismatchError when a part was refused
 */
export async function runParts<T>(
  parts: readonly BatchPart[],
  size: number,
  run: (part: BatchPart) => Promise<readonly T[]>,
): Promise<T[]> {
  const settled = await Promise.allSettled(parts.map(run));
  const out = new Array<T>(size);
  const refused: number[] = [];
  let recorded = 0;
  for (const [i, outcome] of settled.entries()) {
    const part = parts[i] as BatchPart;
    if (outcome.status === 'fulfilled') {
      outcome.value.forEach((value, j) => (out[part.indexes[j] as number] = value));
      recorded += part.indexes.length;
    } else if (outcome.reason instanceof SessionUserMismatchError) {
      refused.push(...outcome.reason.indexes.map((local) => part.indexes[local] as number));
    } else {
      throw outcome.reason;
    }
  }
  if (refused.length > 0) throw new PartitionedMismatchError(refused.sort((a, b) => a - b), recorded);
  return out;
}
