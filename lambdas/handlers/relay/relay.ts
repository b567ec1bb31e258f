import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Context, DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { type RelayDeps, relay } from '../../composition/streams.ts';
import { logger } from '../../shared/api.ts';

/** The event type the relay forwards (the saga's outbox); the mapping's filter lets only these through. */
export const RELAYED_EVENT_TYPE = 'MerchantNotificationRequested';

const processor = new BatchProcessor(EventType.DynamoDBStreams);

/**
 * Forwards one outbox event to the notifications queue. At least once: a retried batch sends again,
 * and the delivery worker is idempotent on the notification id. Anything else is ignored (the
 * mapping's filter should never let it through).
 */
export async function relayRecord(deps: RelayDeps, record: DynamoDBRecord): Promise<void> {
  const event = deps.records.decode(record);
  if (event.type !== RELAYED_EVENT_TYPE) return;
  const { correlationId } = event;
  logger.info('Relaying a merchant notification', {
    correlationId,
    notificationId: event.payload.notificationId,
    stream: `${event.stream.type}#${event.stream.id}`,
    version: event.version,
  });
  await deps.notifier.enqueue(event.payload, { correlationId });
}

/** The events stream's second reader: outbox events to SQS, failures reported per record. */
export async function main(
  event: DynamoDBStreamEvent,
  deps: RelayDeps,
  context: Context,
): Promise<DynamoDBBatchResponse> {
  return processPartialResponse(event, (record: DynamoDBRecord) => relayRecord(deps, record), processor, {
    context,
    // In order: a failure is reported at its sequence number and Lambda retries from there.
    processInParallel: false,
    throwOnFullBatchFailure: false,
  });
}

export const handler = async (event: DynamoDBStreamEvent, context: Context) => {
  logger.addContext(context);
  return main(event, relay(), context);
};
