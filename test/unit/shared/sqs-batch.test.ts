// The batch processor every queue worker shares: a record whose idempotency lock is held elsewhere waits it
// out as a delayed copy (spending no receive), any other failure is retried with backoff.
import { IdempotencyAlreadyInProgressError } from '@aws-lambda-powertools/idempotency';
import { ChangeMessageVisibilityCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { Context, SQSRecord } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { logger } from '../../../lambdas/shared/api.ts';
import { processQueueBatch, type WorkQueue } from '../../../lambdas/shared/sqs-batch.ts';
import { lambdaContext } from '../../support/api-events.ts';
import { sqsEvent } from '../../support/worker-environment.ts';

const QUEUE_URL = 'http://localhost:9324/000000000000/work';
const sqs = mockClient(SQSClient);
const queue: WorkQueue = { client: new SQSClient({}), queueUrl: QUEUE_URL, retryDelaySeconds: () => 7 };

/** A context whose invocation has `remainingMs` left, whenever it is asked. */
const remaining = (remainingMs: number): Context => ({
  ...lambdaContext(),
  getRemainingTimeInMillis: () => remainingMs,
});
const held = () => new IdempotencyAlreadyInProgressError('There is already an execution in progress');

beforeAll(() => logger.setLogLevel('SILENT'));
beforeEach(() => {
  sqs.reset();
  sqs.resolves({});
});
afterAll(() => sqs.restore());

describe('processQueueBatch', () => {
  it('sends a record whose lock is held elsewhere again, delayed past the lock, and does not fail it', async () => {
    const event = sqsEvent([{ id: 'held' }, { id: 'free' }], 2);
    const [lockedRecord] = event.Records as [SQSRecord, SQSRecord];
    lockedRecord.messageAttributes = {
      correlationId: {
        stringValue: 'corr-1',
        dataType: 'String',
        stringListValues: [],
        binaryListValues: [],
      },
    };
    const handled: string[] = [];
    const result = await processQueueBatch(event, remaining(29_500), queue, async (record) => {
      const { id } = JSON.parse(record.body) as { id: string };
      if (id === 'held') throw held();
      handled.push(id);
    });

    expect(result).toEqual({ batchItemFailures: [] });
    expect(handled).toEqual(['free']);
    // The lock lasts at most this invocation's remaining time (30 s, rounded up) and a second.
    expect(sqs.commandCalls(SendMessageCommand).map((c) => c.args[0].input)).toEqual([
      {
        QueueUrl: QUEUE_URL,
        MessageBody: lockedRecord.body,
        DelaySeconds: 31,
        MessageAttributes: { correlationId: { DataType: 'String', StringValue: 'corr-1' } },
      },
    ]);
    expect(sqs.commandCalls(ChangeMessageVisibilityCommand)).toHaveLength(0);
  });

  it('delays a copy by at most the 15 minutes SQS allows', async () => {
    await processQueueBatch(sqsEvent([{ id: 'held' }]), remaining(3_600_000), queue, async () => {
      throw held();
    });
    expect(sqs.commandCalls(SendMessageCommand)[0]?.args[0].input).toMatchObject({ DelaySeconds: 900 });
  });

  it('processes a record without a lock normally and sends nothing', async () => {
    const event = sqsEvent([{ id: 'a' }, { id: 'b' }]);
    const handled: string[] = [];
    const result = await processQueueBatch(event, remaining(10_000), queue, async (record) => {
      handled.push((JSON.parse(record.body) as { id: string }).id);
    });
    expect(result).toEqual({ batchItemFailures: [] });
    expect(handled.sort()).toEqual(['a', 'b']);
    expect(sqs.calls()).toHaveLength(0);
  });

  it('fails any other error, rescheduled with backoff, and sends no copy', async () => {
    const event = sqsEvent([{ id: 'broken' }]);
    const [record] = event.Records as [SQSRecord];
    const result = await processQueueBatch(event, remaining(10_000), queue, async () => {
      throw new Error('endpoint down');
    });
    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: record.messageId }] });
    expect(sqs.commandCalls(ChangeMessageVisibilityCommand).map((c) => c.args[0].input)).toEqual([
      { QueueUrl: QUEUE_URL, ReceiptHandle: record.receiptHandle, VisibilityTimeout: 7 },
    ]);
    expect(sqs.commandCalls(SendMessageCommand)).toHaveLength(0);
  });

  it('fails a held record like any other when its copy cannot be sent', async () => {
    sqs.on(SendMessageCommand).rejects(new Error('SQS unavailable'));
    const event = sqsEvent([{ id: 'held' }]);
    const [record] = event.Records as [SQSRecord];
    const result = await processQueueBatch(event, remaining(10_000), queue, async () => {
      throw held();
    });
    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: record.messageId }] });
    expect(sqs.commandCalls(ChangeMessageVisibilityCommand)).toHaveLength(1);
  });
});
