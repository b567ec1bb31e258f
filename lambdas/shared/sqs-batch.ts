import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { IdempotencyAlreadyInProgressError } from '@aws-lambda-powertools/idempotency';
import {
  ChangeMessageVisibilityCommand,
  type MessageAttributeValue,
  SendMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
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
  await send(queue, { MessageBody: JSON.stringify(body), DelaySeconds: delaySeconds });
}

async function send(
  queue: WorkQueue,
  message: {
    MessageBody: string;
    DelaySeconds: number;
    MessageAttributes?: Record<string, MessageAttributeValue>;
  },
): Promise<void> {
  await queue.client.send(new SendMessageCommand({ QueueUrl: queue.queueUrl, ...message }));
}

/** The longest delay SQS gives a message. */
const MAX_DELAY_SECONDS = 900;

/**
 * How long a copy waits for an idempotency lock met now: a lock lasts until the timeout of the invocation
 * that took it, which is about this function's remaining time (the queue's invocations share a timeout),
 * and a second. A lock that outlives that is met again by the copy, which then waits again.
 */
function lockWaitSeconds(context: Context): number {
  return Math.min(MAX_DELAY_SECONDS, Math.ceil(context.getRemainingTimeInMillis() / 1000) + 1);
}

/** A record's message attributes as SendMessage takes them (the correlation id among them). */
function attributesOf(record: SQSRecord): Record<string, MessageAttributeValue> {
  const attributes: Record<string, MessageAttributeValue> = {};
  for (const [name, value] of Object.entries(record.messageAttributes ?? {})) {
    if (value.stringValue !== undefined) {
      attributes[name] = { DataType: value.dataType, StringValue: value.stringValue };
    } else if (value.binaryValue !== undefined) {
      attributes[name] = { DataType: value.dataType, BinaryValue: Buffer.from(value.binaryValue, 'base64') };
    }
  }
  return attributes;
}

/**
 * Sends a copy of a record whose idempotency lock another invocation holds (or held, and crashed: the lock
 * then lasts until that invocation's timeout), delayed past the lock. Failing, the record would come back
 * every backoff and spend a receive each time, reaching the DLQ before the lock expires; the copy waits it
 * out for free. False when the copy could not be sent: the record then fails like any other.
 */
async function waitOutLock(queue: WorkQueue, record: SQSRecord, context: Context): Promise<boolean> {
  const delaySeconds = lockWaitSeconds(context);
  const MessageAttributes = attributesOf(record);
  try {
    await send(queue, {
      MessageBody: record.body,
      DelaySeconds: delaySeconds,
      ...(Object.keys(MessageAttributes).length > 0 ? { MessageAttributes } : {}),
    });
  } catch (error) {
    logger.warn('Could not send the copy that waits out the lock', { messageId: record.messageId, error });
    return false;
  }
  logger.info('Record in progress elsewhere: sent again after the lock', {
    messageId: record.messageId,
    delaySeconds,
  });
  return true;
}

const processor = new BatchProcessor(EventType.SQS);

/**
 * Runs `handle` on each record (in parallel) and reports the failed ones as batch item failures,
 * each rescheduled with backoff first. `handle` throws only for what a retry may fix. A record whose
 * idempotency lock is held elsewhere is not a failure: a delayed copy waits the lock out (`waitOutLock`).
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
      if (error instanceof IdempotencyAlreadyInProgressError && (await waitOutLock(queue, record, context))) {
        return undefined;
      }
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
