import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Context, DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { type ProjectorDeps, projector as projectorDeps } from '../../composition/streams.ts';
import type { StoredEvent } from '../../domain/events.ts';
import { Projector } from '../../domain/projections/projector.ts';
import { logger } from '../../shared/api.ts';

const processor = new BatchProcessor(EventType.DynamoDBStreams);

/** An earlier event of the same stream failed in this batch: applying this one now would reorder them. */
export class BlockedByEarlierFailureError extends Error {
  override readonly name = 'BlockedByEarlierFailureError';
}

/**
 * The projector: one function for every read model. The batch is decoded and sorted by stream and
 * version, then projected as a whole (per stream and model, one guarded commit for all the events
 * the guard has not seen; few round trips). Powertools then reports, record by record, what failed:
 * a record that failed, and every later record of its stream, so Lambda retries (and bisects) from
 * there and nothing is applied out of order.
 */
export async function main(
  event: DynamoDBStreamEvent,
  deps: ProjectorDeps,
  context: Context,
): Promise<DynamoDBBatchResponse> {
  const projector = new Projector(deps);
  const { decode, positionOf } = deps.records;
  const records = deps.records.sortByStreamAndVersion(event.Records);
  /** Per stream: the first version that cannot apply and why (decoding, or projecting). */
  const failures = new Map<string, { version: number; error: unknown }>();
  const decoded: StoredEvent[] = [];
  for (const record of records) {
    const position = positionOf(record);
    const stream = position?.pk ?? `unreadable:${record.eventID}`;
    if (failures.has(stream)) continue;
    try {
      decoded.push(decode(record));
    } catch (error) {
      failures.set(stream, { version: position?.version ?? 0, error });
    }
  }
  for (const [stream, failure] of await projector.projectBatch(decoded)) failures.set(stream, failure);

  const project = async (record: DynamoDBRecord): Promise<void> => {
    const position = positionOf(record);
    const stream = position?.pk ?? `unreadable:${record.eventID}`;
    const failure = failures.get(stream);
    if (!failure || (position && position.version < failure.version)) return;
    if (position && position.version > failure.version) {
      throw new BlockedByEarlierFailureError(`${stream} failed at version ${failure.version}`);
    }
    logger.error('Projection failed', {
      stream,
      sequenceNumber: record.dynamodb?.SequenceNumber,
      error: failure.error,
    });
    throw failure.error;
  };
  return processPartialResponse({ Records: records }, project, processor, {
    context,
    processInParallel: false,
    // Report every failure as a batch item failure, even all of them: Lambda then retries from the
    // lowest sequence number as it does for a partial failure.
    throwOnFullBatchFailure: false,
  });
}

export const handler = async (event: DynamoDBStreamEvent, context: Context) => {
  logger.addContext(context);
  return main(event, projectorDeps(), context);
};
