import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { ChangeMessageVisibilityCommand, SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { logger } from './api.ts';

/** A worker's own queue and how it spaces retries (built by the composition root). */
export interface WorkQueue {
  readonly client: SQSClient;
  readonly queueUrl: string;
  /** Seconds until the next try after the `receiveCount`-th failed one. */
  readonly retryDelaySeconds: (receiveCount: number) => number;
}

/** The receive count of a message: 1 on its first delivery. */
export function receiveCountOf(record: SQSRecord): number {
  const count = Number(record.attributes?.ApproximateReceiveCount);
  return Number.isInteger(count) && count > 0 ? count : 1;
}

/**
 * Schedules the retry of a failed message by changing its visibility: it comes back after the
 * backoff instead of after the queue's full visibility timeout. If that call fails, the message still
 * comes back, later; so the failure is only logged.
 */
export async function retryLater(queue: WorkQueue, record: SQSRecord): Promise<number | undefined> {
  const delay = queue.retryDelaySeconds(receiveCountOf(record));
  try {
    await queue.client.send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: queue.queueUrl,
        ReceiptHandle: record.receiptHandle,
        VisibilityTimeout: delay,
      }),
    );
    return delay;
  } catch (error) {
    logger.warn('Could not schedule the retry; the message returns after the visibility timeout', {
      messageId: record.messageId,
      error,
    });
    return undefined;
  }
}

/**
 * Sends a new message to the worker's own queue, visible after `delaySeconds` (≤ 900): a message that
 * must wait longer than a retry (for its predecessor) waits as a fresh message, so the wait does not
 * spend the receive count that sends a failing message to the DLQ.
 */
export async function sendLater(queue: WorkQueue, body: unknown, delaySeconds: number): Promise<void> {
  await queue.client.send(
    new SendMessageCommand({
      QueueUrl: queue.queueUrl,
      MessageBody: JSON.stringify(body),
      DelaySeconds: delaySeconds,
    }),
  );
}

const processor = new BatchProcessor(EventType.SQS);

/**
 * Runs `handle` on each record (in parallel) and reports the failed ones as batch item failures,
 * each rescheduled with backoff first. `handle` throws only for what a retry may fix.
 */
export function processQueueBatch(
  event: SQSEvent,
  context: Context,
  queue: WorkQueue,
  handle: (record: SQSRecord) => Promise<unknown>,
): Promise<SQSBatchResponse> {
  const guarded = async (record: SQSRecord) => {
    try {
      return await handle(record);
    } catch (error) {
      const delay = await retryLater(queue, record);
      logger.warn('Record failed; retrying later', {
        messageId: record.messageId,
        receiveCount: receiveCountOf(record),
        retryInSeconds: delay,
        error,
      });
      throw error;
    }
  };
  return processPartialResponse(event, guarded, processor, {
    context,
    processInParallel: true,
    // A batch in which everything failed is reported item by item too, never thrown.
    throwOnFullBatchFailure: false,
  });
}
