import { randomUUID } from 'node:crypto';
import { CreateTableCommand, type CreateTableCommandInput } from '@aws-sdk/client-dynamodb';
import { GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { SQSEvent } from 'aws-lambda';
import { DynamoDbWebhookInbox } from '../../lambdas/adapters/dynamodb-webhooks.ts';
import { confirmCapture } from '../../lambdas/application/payments/commands.ts';
import { recordRefundResult } from '../../lambdas/application/payments/refunds.ts';
import { buildIdempotencyStore, buildLedgerPorts } from '../../lambdas/composition/ledger.ts';
import { buildMerchantNotifier } from '../../lambdas/composition/merchants.ts';
import { buildWorkQueue, type ProcessorEventsWorkerDeps } from '../../lambdas/composition/workers.ts';
import type { LedgerPorts } from '../../lambdas/domain/ports.ts';
import type { IdempotencyStore } from '../../lambdas/shared/idempotency.ts';
import { emfMetrics } from '../../lambdas/shared/metrics.ts';
import type { WorkQueue } from '../../lambdas/shared/sqs-batch.ts';
import { LOCAL_CREDENTIALS } from '../../local/dynamodb.ts';
import { type SqsEmulator, startSqsEmulator } from '../../local/sqs.ts';
import {
  createEventsTable,
  createSnapshotsTable,
  type DynamoDbLocal,
  PK_SK_KEYS,
  startDynamoDbLocal,
} from './dynamodb-local.ts';

/**
 * DynamoDB Local with the workers' tables and fauxqs with their queues, and the dependencies the
 * workers' composition roots would build on them (passed to `main`; no environment variables).
 */
export interface WorkerEnvironment {
  readonly ddb: DynamoDbLocal;
  readonly sqs: SqsEmulator;
  readonly sqsClient: SQSClient;
  readonly queues: { readonly inbound: string; readonly notifications: string };
  /** The ledger on the `events` and `snapshots` tables. */
  readonly ledger: LedgerPorts;
  /** The `idempotency` table. */
  readonly idempotency: IdempotencyStore;
  /** A work queue that retries after 1 s, at most 2 s. */
  workQueue(queueUrl: string): WorkQueue;
  /**
   * The processor-events worker's dependencies (inbound queue, `inbox` table, notifications queue); it
   * parks an early event for 1 s, doubling, for an hour.
   */
  readonly processorEvents: ProcessorEventsWorkerDeps;
  /** The EMF metric lines the workers wrote, parsed (cleared by the tests that read them). */
  readonly metricLines: Record<string, unknown>[];
  stop(): Promise<void>;
}

async function table(ddb: DynamoDbLocal, input: Omit<CreateTableCommandInput, 'BillingMode'>) {
  await ddb.client.send(new CreateTableCommand({ BillingMode: 'PAY_PER_REQUEST', ...input }));
}

export async function startWorkerEnvironment(): Promise<WorkerEnvironment> {
  const ddb = await startDynamoDbLocal();
  const sqs = await startSqsEmulator({ region: 'us-east-1' });
  await createEventsTable(ddb.client, 'events');
  await createSnapshotsTable(ddb.client, 'snapshots');
  const hashKey = (name: string) => ({
    AttributeDefinitions: [{ AttributeName: name, AttributeType: 'S' as const }],
    KeySchema: [{ AttributeName: name, KeyType: 'HASH' as const }],
  });
  await table(ddb, { TableName: 'idempotency', ...hashKey('id') });
  await table(ddb, { TableName: 'inbox', ...hashKey('eventId') });
  await table(ddb, { TableName: 'endpoints', ...hashKey('pk') });
  await table(ddb, { TableName: 'deliveries', ...PK_SK_KEYS });
  const inbound = sqs.createQueue({ logicalId: 'Inbound', name: 'inbound', properties: {} }).url;
  const notifications = sqs.createQueue({
    logicalId: 'Notifications',
    name: 'notifications',
    properties: {},
  }).url;
  const sqsClient = new SQSClient({
    endpoint: sqs.endpoint,
    region: 'us-east-1',
    credentials: LOCAL_CREDENTIALS,
    useQueueUrlAsEndpoint: false,
  });
  const ledger = buildLedgerPorts(ddb.client, { eventsTableName: 'events', snapshotsTableName: 'snapshots' });
  const idempotency = buildIdempotencyStore(ddb.client, { idempotencyTableName: 'idempotency' });
  const workQueue = (queueUrl: string) =>
    buildWorkQueue(sqsClient, { queueUrl, retryBaseSeconds: 1, retryCapSeconds: 2 });
  const metricLines: Record<string, unknown>[] = [];
  return {
    ddb,
    sqs,
    sqsClient,
    queues: { inbound, notifications },
    ledger,
    idempotency,
    workQueue,
    processorEvents: {
      queue: workQueue(inbound),
      idempotency,
      ports: {
        ledger,
        inbox: new DynamoDbWebhookInbox({ client: ddb.client, tableName: 'inbox' }),
        notifier: buildMerchantNotifier(sqsClient, notifications),
        payments: { confirmCapture, recordRefundResult },
      },
      parking: { baseSeconds: 1, capSeconds: 4, windowSeconds: 3600 },
      metrics: emfMetrics((line) => metricLines.push(JSON.parse(line))),
    },
    metricLines,
    async stop() {
      sqsClient.destroy();
      await sqs.stop();
      await ddb.stop();
    },
  };
}

/** Receives (and leaves) up to 10 messages, waiting `waitSeconds` for the first. */
export async function peekMessages(client: SQSClient, queueUrl: string, waitSeconds = 0): Promise<string[]> {
  const { Messages } = await client.send(
    new ReceiveMessageCommand({
      QueueUrl: queueUrl,
      MaxNumberOfMessages: 10,
      WaitTimeSeconds: waitSeconds,
      VisibilityTimeout: 0,
    }),
  );
  return (Messages ?? []).map((m) => m.Body ?? '');
}

/** Messages in a queue, visible or not. */
export async function queueDepth(client: SQSClient, queueUrl: string): Promise<number> {
  const { Attributes } = await client.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return (
    Number(Attributes?.ApproximateNumberOfMessages ?? 0) +
    Number(Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0)
  );
}

/** An SQS event as Lambda delivers it: one record per body, fresh message ids. */
export function sqsEvent(bodies: readonly unknown[], receiveCount = 1): SQSEvent {
  return {
    Records: bodies.map((body) => ({
      messageId: randomUUID(),
      receiptHandle: randomUUID(),
      body: typeof body === 'string' ? body : JSON.stringify(body),
      attributes: {
        ApproximateReceiveCount: String(receiveCount),
        SentTimestamp: String(Date.now()),
        SenderId: 'test',
        ApproximateFirstReceiveTimestamp: String(Date.now()),
      },
      messageAttributes: {},
      md5OfBody: '',
      eventSource: 'aws:sqs',
      eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:inbound',
      awsRegion: 'us-east-1',
    })),
  };
}
