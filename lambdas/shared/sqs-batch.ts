import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { ChangeMessageVisibilityCommand } from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { fullJitterDelay } from '../adapters/backoff.ts';
import { logger } from './api.ts';
import { workerQueueConfig } from './config.ts';
import { sqsClient } from './workers.ts';

/** The receive count of a message: 1 on its first delivery. */
export function receiveCountOf(record: SQSRecord): number {
  const count = Number(record.attributes?.ApproximateReceiveCount);
  return Number.isInteger(count) && count > 0 ? count : 1;
}

/** Seconds until the next try after the `receiveCount`-th failed one: exponential, full jitter. */
export function retryDelaySeconds(
  receiveCount: number,
  limits: { readonly baseSeconds: number; readonly capSeconds: number },
  random: () => number = Math.random,
): number {
  const ms = fullJitterDelay(
    receiveCount,
    { base: limits.baseSeconds * 1000, cap: limits.capSeconds * 1000 },
    random,
  );
  return Math.min(43_200, Math.ceil(ms / 1000));
}

/**
 * Schedules the retry of a failed message by changing its visibility: it comes back after the
 * backoff instead of after the queue's full visibility timeout. If that call fails, the message still
 * comes back, later; so the failure is only logged.
 */
export async function retryLater(record: SQSRecord): Promise<number | undefined> {
  const config = workerQueueConfig();
  const delay = retryDelaySeconds(receiveCountOf(record), {
    baseSeconds: config.retryBaseSeconds,
    capSeconds: config.retryCapSeconds,
  });
  try {
    await sqsClient().send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: config.queueUrl,
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

const processor = new BatchProcessor(EventType.SQS);

/**
 * Runs `handle` on each record (in parallel) and reports the failed ones as batch item failures,
 * each rescheduled with backoff first. `handle` throws only for what a retry may fix.
 */
export function processQueueBatch(
  event: SQSEvent,
  context: Context,
  handle: (record: SQSRecord) => Promise<unknown>,
): Promise<SQSBatchResponse> {
  const guarded = async (record: SQSRecord) => {
    try {
      return await handle(record);
    } catch (error) {
      const delay = await retryLater(record);
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
