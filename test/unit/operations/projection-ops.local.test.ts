import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { GetQueueAttributesCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbEventStore } from '../../../lambdas/adapters/dynamodb-event-store.ts';
import { readPointer, type Slot } from '../../../lambdas/adapters/dynamodb-read-model-pointer.ts';
import { DynamoDbReadModels } from '../../../lambdas/adapters/dynamodb-read-models.ts';
import { DynamoDbSnapshotStore } from '../../../lambdas/adapters/dynamodb-snapshot-store.ts';
import { systemClock, UlidGenerator } from '../../../lambdas/adapters/ids.ts';
import { decodeStreamRecord } from '../../../lambdas/adapters/stream-records.ts';
import { createTransfer, deposit, openAccount } from '../../../lambdas/application/commands.ts';
import { getAccount } from '../../../lambdas/application/queries.ts';
import type { LedgerPorts } from '../../../lambdas/domain/ports.ts';
import { Projector, type ProjectorPorts } from '../../../lambdas/domain/projections/projector.ts';
import { READ_MODELS, type ReadModelName } from '../../../lambdas/domain/projections/read-model.ts';
import { rebuild } from '../../../lambdas/operations/rebuild.ts';
import { redrive } from '../../../lambdas/operations/redrive.ts';
import { type SqsEmulator, startSqsEmulator } from '../../../local/sqs.ts';
import {
  createEventsTable,
  createSnapshotsTable,
  type DynamoDbLocal,
  startDynamoDbLocal,
} from '../../support/dynamodb-local.ts';
import { canonical } from '../../support/in-memory-read-models.ts';
import { createReadModelTables, type ReadModelTableNames } from '../../support/read-model-tables.ts';
import { StreamReader } from '../../support/stream-reader.ts';

let ddb: DynamoDbLocal;
let sqsEmulator: SqsEmulator;
let sqs: SQSClient;
let streamsClient: DynamoDBStreamsClient;
let stream: StreamReader;
let names: ReadModelTableNames;
let ports: LedgerPorts;
let views: DynamoDbReadModels;
const ctx = { tenantId: 'tenant-o', correlationId: 'c', causationId: 'c', actor: 'test' };

beforeAll(async () => {
  ddb = await startDynamoDbLocal();
  sqsEmulator = await startSqsEmulator({ region: 'us-east-1' });
  sqs = new SQSClient({
    endpoint: sqsEmulator.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    useQueueUrlAsEndpoint: false,
  });
  streamsClient = new DynamoDBStreamsClient({
    endpoint: ddb.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  await createEventsTable(ddb.client, 'events');
  await createSnapshotsTable(ddb.client, 'snapshots');
  names = await createReadModelTables(ddb.client, 'ops');
  stream = new StreamReader(ddb.client, ddb.endpoint, 'events');
  ports = {
    events: new DynamoDbEventStore({ client: ddb.client, tableName: 'events' }),
    snapshots: new DynamoDbSnapshotStore({ client: ddb.client, tableName: 'snapshots' }),
    clock: systemClock,
    ids: new UlidGenerator(),
  };
  // Pointers are read fresh each time here: a rebuild's switch must show at once.
  views = new DynamoDbReadModels({ client: ddb.client, ...names, pointerTtlMs: 0 });
}, 120_000);

afterAll(async () => {
  stream?.destroy();
  streamsClient?.destroy();
  sqs?.destroy();
  await sqsEmulator?.stop();
  await ddb?.stop();
});

async function dump(table: string): Promise<string> {
  const { Items = [] } = await ddb.client.send(new ScanCommand({ TableName: table }));
  return Items.map((item) => JSON.stringify(canonical(unmarshall(item))))
    .sort()
    .join('\n');
}

async function activeDump(model: ReadModelName): Promise<string> {
  return dump(await views.tableOf(model));
}

async function someLedger(n = 3) {
  const a = (await openAccount(ports, ctx, { currency: 'GBP' })).id;
  const b = (await openAccount(ports, ctx, { currency: 'GBP' })).id;
  await deposit(ports, ctx, { accountId: a, amount: 1_000, currency: 'GBP' });
  for (let i = 1; i <= n; i++) {
    await createTransfer(ports, ctx, { debitAccountId: a, creditAccountId: b, amount: i, currency: 'GBP' });
  }
  return { a, b };
}

/** The live projector: every record written so far, as the stream mapping would hand them over. */
async function projectLive(): Promise<void> {
  const projector = new Projector({ events: ports.events, readModels: views });
  for (const record of await stream.next()) await projector.project(decodeStreamRecord(record));
}

describe('rebuild', () => {
  /** A rebuild of `model` in the test's tables, as fast as the bucket allows, without the settle wait. */
  const rebuildOptions = (model: ReadModelName) =>
    ({
      dynamodb: ddb.client,
      eventsTable: 'events',
      model,
      tables: names.tables[model],
      pointersTable: names.pointersTable,
      ratePerSecond: 100_000,
      settleMs: 0,
    }) as const;

  it('replays the event store into the spare table, identical row for row, and switches the read path', async () => {
    await someLedger(5);
    await projectLive();
    for (const model of READ_MODELS) {
      const before = await activeDump(model);
      const was: Slot = await readPointer(ddb.client, names.pointersTable, model);
      const report = await rebuild(rebuildOptions(model));
      expect(report.active).not.toBe(was);
      expect(await readPointer(ddb.client, names.pointersTable, model)).toBe(report.active);
      expect(report.replayed).toBeGreaterThan(0);
      expect(await activeDump(model), model).toBe(before);
    }
  });

  it('empties a stale spare table first, and resumes from its checkpoint after a crash', async () => {
    const { a } = await someLedger(40);
    await projectLive();
    const model = 'account-history';
    const before = await activeDump(model);
    const options = { ...rebuildOptions(model), pageSize: 10 };
    let pages = 0;
    await expect(
      rebuild({
        ...options,
        onProgress: (p) => {
          if (p.phase === 'replay' && ++pages === 3) throw new Error('crash');
        },
      }),
    ).rejects.toThrow('crash');
    const resumed = await rebuild(options);
    expect(resumed.resumed).toBe(true);
    expect(resumed.cleared).toBeGreaterThan(0);
    expect(await activeDump(model)).toBe(before);
    expect((await views.postings('tenant-o', a, null, 100))?.rows).toHaveLength(41);
  });

  it('keeps up with writes during and after the rebuild (live projector writes the new table after the switch)', async () => {
    await someLedger(2);
    await projectLive();
    const model = 'account-view';
    const report = await rebuild(rebuildOptions(model));
    const { a } = await someLedger(1);
    await projectLive();
    expect(await views.account('tenant-o', a)).toEqual(await getAccount(ports, 'tenant-o', a));
    expect(await views.tableOf(model)).toBe(names.tables[model][report.active]);
  });
});

describe('redrive', () => {
  async function failureQueue(name: string): Promise<string> {
    sqsEmulator.createQueue({ logicalId: name, name, properties: {} });
    return sqsEmulator.queueUrl(name);
  }

  /** Messages of the queue that are visible (`ApproximateNumberOfMessages`) or in flight (`…NotVisible`). */
  const depth = async (
    url: string,
    attribute:
      | 'ApproximateNumberOfMessages'
      | 'ApproximateNumberOfMessagesNotVisible' = 'ApproximateNumberOfMessages',
  ) =>
    Number(
      (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: [attribute] })))
        .Attributes?.[attribute] ?? 0,
    );

  /** Drains `queueUrl` into the read models (the real ones unless told otherwise). */
  const redriveFrom = (queueUrl: string, readModels: ProjectorPorts['readModels'] = views) =>
    redrive({
      sqs,
      queueUrl,
      streams: streamsClient,
      dynamodb: ddb.client,
      eventsTable: 'events',
      ports: { events: ports.events, readModels },
    });

  /** What the on-failure destination writes for a batch: metadata only. */
  function failureMessage(
    records: Awaited<ReturnType<StreamReader['next']>>,
    overrides: Record<string, string> = {},
  ) {
    const first = records[0];
    const last = records.at(-1);
    const at = (r: typeof first) =>
      new Date(Number(r?.dynamodb?.ApproximateCreationDateTime ?? 0) * 1000).toISOString();
    return JSON.stringify({
      requestContext: { condition: 'RetryAttemptsExhausted', approximateInvokeCount: 6 },
      responseContext: { statusCode: 200, functionError: 'Unhandled' },
      version: '1.0',
      DDBStreamBatchInfo: {
        shardId: (first as { shardId?: string } | undefined)?.shardId ?? overrides.shardId,
        startSequenceNumber: first?.dynamodb?.SequenceNumber,
        endSequenceNumber: last?.dynamodb?.SequenceNumber,
        approximateArrivalOfFirstRecord: at(first),
        approximateArrivalOfLastRecord: at(last),
        batchSize: records.length,
        streamArn: first?.eventSourceARN,
        ...overrides,
      },
    });
  }

  it('re-reads the failed range from the stream, applies it once, and deletes the message', async () => {
    await projectLive();
    const { a, b } = await someLedger(2);
    const records = await stream.next();
    const shardId = await stream.shardOf(records[0]?.dynamodb?.SequenceNumber ?? '');
    const queueUrl = await failureQueue('failures-1');
    await sqs.send(
      new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: failureMessage(records, { shardId }) }),
    );
    const report = await redriveFrom(queueUrl);
    expect(report).toMatchObject({ messages: 1, fromStream: 1, fromEventStore: 0, failed: 0 });
    expect(report.events).toBe(records.length);
    for (const id of [a, b])
      expect(await views.account('tenant-o', id)).toEqual(await getAccount(ports, 'tenant-o', id));
    expect(await depth(queueUrl)).toBe(0);
  });

  it('re-drives the streams of that time window from the event store when the stream no longer has the records', async () => {
    await projectLive();
    const { a } = await someLedger(1);
    const records = await stream.next();
    const queueUrl = await failureQueue('failures-2');
    const gone = failureMessage(records, { shardId: 'shardId-00000000000000000000-gone0000' });
    await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: gone }));
    const report = await redriveFrom(queueUrl);
    expect(report).toMatchObject({ messages: 1, fromStream: 0, fromEventStore: 1, failed: 0 });
    expect(await views.account('tenant-o', a)).toEqual(await getAccount(ports, 'tenant-o', a));
  });

  it('leaves the message in the queue while the cause is not fixed', async () => {
    await projectLive();
    await someLedger(1);
    const records = await stream.next();
    const shardId = await stream.shardOf(records[0]?.dynamodb?.SequenceNumber ?? '');
    const queueUrl = await failureQueue('failures-3');
    await sqs.send(
      new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: failureMessage(records, { shardId }) }),
    );
    const broken = {
      readGuard: views.readGuard.bind(views),
      commit: async () => {
        throw new Error('still broken');
      },
      commitBatch: async () => {
        throw new Error('still broken');
      },
    };
    const report = await redriveFrom(queueUrl, broken);
    expect(report).toMatchObject({ messages: 1, failed: 1 });
    expect(await depth(queueUrl, 'ApproximateNumberOfMessagesNotVisible')).toBe(1);
  });
});
