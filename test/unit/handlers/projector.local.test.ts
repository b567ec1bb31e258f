import { DeleteItemCommand, ScanCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { Context, DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbReadModels } from '../../../lambdas/adapters/dynamodb-read-models.ts';
import { decodeStreamRecord } from '../../../lambdas/adapters/stream-records.ts';
import {
  createTransfer,
  deposit,
  freezeAccount,
  getTransfer,
  openAccount,
  postTransfer,
} from '../../../lambdas/application/commands.ts';
import { openDispute } from '../../../lambdas/application/disputes.ts';
import { getAccount } from '../../../lambdas/application/queries.ts';
import { buildLedgerPorts, conflictBackoff } from '../../../lambdas/composition/ledger.ts';
import { buildReadModels } from '../../../lambdas/composition/read-models.ts';
import { STREAM_RECORDS } from '../../../lambdas/composition/streams.ts';
import type { LedgerPorts } from '../../../lambdas/domain/ports.ts';
import { Projector } from '../../../lambdas/domain/projections/projector.ts';
import { READ_MODELS } from '../../../lambdas/domain/projections/read-model.ts';
import { main as project } from '../../../lambdas/handlers/projectors/projector.ts';
import { logger } from '../../../lambdas/shared/api.ts';
import { readModelsConfig } from '../../../lambdas/shared/config.ts';
import { emfMetrics, LEDGER_METRICS } from '../../../lambdas/shared/metrics.ts';
import { lambdaContext } from '../../support/api-events.ts';
import {
  createEventsTable,
  createSnapshotsTable,
  type DynamoDbLocal,
  startDynamoDbLocal,
} from '../../support/dynamodb-local.ts';
import { canonical } from '../../support/in-memory-read-models.ts';
import {
  createReadModelTables,
  type ReadModelTableNames,
  readModelEnvironment,
} from '../../support/read-model-tables.ts';
import { StreamReader } from '../../support/stream-reader.ts';

let ddb: DynamoDbLocal;
let stream: StreamReader;
let live: ReadModelTableNames;
let ports: LedgerPorts;
/** The EMF lines the projector wrote, parsed. */
const metricLines: Record<string, unknown>[] = [];
const metrics = emfMetrics((line) => metricLines.push(JSON.parse(line)));
let handler: (event: DynamoDBStreamEvent, context: Context) => Promise<DynamoDBBatchResponse>;
const ctx = { tenantId: 'tenant-p', correlationId: 'c', causationId: 'c', actor: 'test' };

beforeAll(async () => {
  ddb = await startDynamoDbLocal();
  await createEventsTable(ddb.client, 'events');
  await createSnapshotsTable(ddb.client, 'snapshots');
  live = await createReadModelTables(ddb.client, 'live');
  stream = new StreamReader(ddb.client, ddb.endpoint, 'events');
  logger.setLogLevel('SILENT');
  ports = buildLedgerPorts(ddb.client, { eventsTableName: 'events', snapshotsTableName: 'snapshots' });
  // What the projector's composition root builds, from the variables the stack would set.
  const readModels = buildReadModels(ddb.client, readModelsConfig(readModelEnvironment(live)));
  handler = (event, context) =>
    project(
      event,
      { events: ports.events, readModels, backoff: conflictBackoff, records: STREAM_RECORDS, metrics },
      context,
    );
}, 120_000);

afterAll(async () => {
  stream?.destroy();
  await ddb?.stop();
});

const invoke = (records: readonly DynamoDBRecord[]) =>
  handler({ Records: [...records] }, lambdaContext('projector'));

/** Every row of every read-model table of `names` (active slot: blue), canonical and sorted. */
async function dump(names: ReadModelTableNames): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const model of READ_MODELS) {
    const { Items = [] } = await ddb.client.send(new ScanCommand({ TableName: names.tables[model].blue }));
    const rows = Items.map((item) => JSON.stringify(canonical(unmarshall(item)))).sort();
    out[model] = rows.join('\n');
  }
  return out;
}

async function someLedger() {
  const alice = (await openAccount(ports, ctx, { currency: 'EUR' })).id;
  const bob = (await openAccount(ports, ctx, { currency: 'EUR' })).id;
  await deposit(ports, ctx, { accountId: alice, amount: 5_000, currency: 'EUR' });
  const hold = await createTransfer(ports, ctx, {
    debitAccountId: alice,
    creditAccountId: bob,
    amount: 1_200,
    currency: 'EUR',
    pending: true,
  });
  await postTransfer(ports, ctx, { transferId: hold.id, amount: 700 });
  await createTransfer(ports, ctx, {
    debitAccountId: bob,
    creditAccountId: alice,
    amount: 200,
    currency: 'EUR',
  });
  return { alice, bob, hold: hold.id };
}

describe('the projector over real stream records', () => {
  it('projects a reversed, duplicated delivery to exactly what a clean replay writes', async () => {
    const { alice, bob, hold } = await someLedger();
    const records = await stream.next();
    expect(records.length).toBeGreaterThan(10);

    const response = await invoke([...records].reverse().concat(records));
    expect(response.batchItemFailures).toEqual([]);

    const views = new DynamoDbReadModels({ client: ddb.client, ...live });
    for (const id of [alice, bob])
      expect(await views.account('tenant-p', id)).toEqual(await getAccount(ports, 'tenant-p', id));
    expect(await views.transfer('tenant-p', hold)).toEqual(await getTransfer(ports, 'tenant-p', hold));

    // A clean replay, in stream order, into tables of its own.
    const clean = await createReadModelTables(ddb.client, 'clean');
    const projector = new Projector({
      events: ports.events,
      readModels: new DynamoDbReadModels({ client: ddb.client, ...clean }),
    });
    const events = records
      .map(decodeStreamRecord)
      .sort((a, b) =>
        a.stream.id === b.stream.id ? a.version - b.version : a.stream.id < b.stream.id ? -1 : 1,
      );
    for (const event of events) await projector.project(event);
    expect(await dump(live)).toEqual(await dump(clean));
  });

  it('fills a gap from the event store when earlier records never arrive', async () => {
    const alice = (await openAccount(ports, ctx, { currency: 'EUR' })).id;
    await deposit(ports, ctx, { accountId: alice, amount: 100, currency: 'EUR' });
    await deposit(ports, ctx, { accountId: alice, amount: 250, currency: 'EUR' });
    const records = await stream.next();
    const lastOfAlice = records.filter((r) => r.dynamodb?.Keys?.pk?.S === `account#tenant-p#${alice}`).at(-1);
    expect(lastOfAlice?.dynamodb?.Keys?.version?.N).toBe('3');
    expect((await invoke([lastOfAlice as DynamoDBRecord])).batchItemFailures).toEqual([]);
    const views = new DynamoDbReadModels({ client: ddb.client, ...live });
    expect(await views.account('tenant-p', alice)).toMatchObject({ creditsPosted: 350, version: 3 });
    expect((await views.postings('tenant-p', alice, null, 10))?.rows.map((r) => r.amount)).toEqual([
      100, 250,
    ]);
    // The rest arriving later changes nothing.
    expect((await invoke(records)).batchItemFailures).toEqual([]);
    expect(await views.account('tenant-p', alice)).toMatchObject({ creditsPosted: 350, version: 3 });
  });

  it('reports a poison record and every later record of its stream as failures, and applies the rest', async () => {
    const alice = (await openAccount(ports, ctx, { currency: 'EUR' })).id;
    const bob = (await openAccount(ports, ctx, { currency: 'EUR' })).id;
    const records = await stream.next();
    const of = (id: string) => records.find((r) => r.dynamodb?.Keys?.pk?.S === `account#tenant-p#${id}`);
    const aliceOpened = of(alice) as DynamoDBRecord;
    // Alice's version 2 and 3 as the stream would carry them, version 2 with a type no code knows.
    const forged = (version: number, sequence: string, type: string): DynamoDBRecord => {
      const record = structuredClone(aliceOpened);
      const image = record.dynamodb?.NewImage as Record<string, { S?: string; N?: string }>;
      image.version = { N: String(version) };
      image.type = { S: type };
      image.eventId = { S: `evt_forged_${version}` };
      (record.dynamodb?.Keys as Record<string, { N?: string }>).version = { N: String(version) };
      (record.dynamodb as { SequenceNumber: string }).SequenceNumber = sequence;
      return record;
    };
    const poison = forged(2, '900000000000000000001', 'AccountVaporized');
    const after = forged(3, '900000000000000000002', 'AccountFrozen');
    const response = await invoke([after, poison, ...records]);
    expect(response.batchItemFailures.map((f) => f.itemIdentifier).sort()).toEqual([
      '900000000000000000001',
      '900000000000000000002',
    ]);
    const views = new DynamoDbReadModels({ client: ddb.client, ...live });
    expect(await views.account('tenant-p', alice)).toMatchObject({ status: 'open', version: 1 });
    expect(await views.account('tenant-p', bob)).toMatchObject({ status: 'open', version: 1 });
  });

  it('fails a record whose image is not an event, and says why in the log only', async () => {
    const [record] = await (async () => {
      await openAccount(ports, ctx, { currency: 'EUR' });
      return stream.next();
    })();
    const broken = structuredClone(record as DynamoDBRecord);
    delete (broken.dynamodb as { NewImage?: unknown }).NewImage;
    const response = await invoke([broken]);
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: broken.dynamodb?.SequenceNumber }]);
  });

  it('counts a processor fact booked over a ledger rule once, for the alarm, and nothing else', async () => {
    await stream.next();
    metricLines.length = 0;
    const merchant = (await openAccount(ports, ctx, { currency: 'EUR', kind: 'merchant' })).id;
    await deposit(ports, ctx, { accountId: merchant, amount: 100, currency: 'EUR' });
    await freezeAccount(ports, ctx, { accountId: merchant, reason: 'review' });
    const hold = await openDispute(ports, ctx, {
      disputeId: 'dp_alarm',
      merchantAccountId: merchant,
      amount: 300,
      currency: 'EUR',
    });
    const records = await stream.next();
    expect((await invoke(records.concat(records))).batchItemFailures).toEqual([]);
    expect(metricLines).toEqual([
      expect.objectContaining({
        FunctionName: 'projector',
        [LEDGER_METRICS.factsOverrode]: 1,
        transferId: hold.id,
        overrode: ['account-frozen', 'insufficient-funds'],
        amount: 300,
      }),
    ]);
  });

  it('reports an event item that was modified or removed as tampering, and projects nothing from it', async () => {
    await stream.next();
    const alice = (await openAccount(ports, ctx, { currency: 'EUR' })).id;
    await deposit(ports, ctx, { accountId: alice, amount: 900, currency: 'EUR' });
    expect((await invoke(await stream.next())).batchItemFailures).toEqual([]);
    const before = await getAccount(ports, ctx.tenantId, alice);
    metricLines.length = 0;

    // Someone with table access goes around the stack: edits the deposit's leg, then deletes it.
    const pk = { S: `account#${ctx.tenantId}#${alice}` };
    const key = { pk, version: { N: '2' } };
    await ddb.client.send(
      new UpdateItemCommand({
        TableName: 'events',
        Key: key,
        UpdateExpression: 'SET tampered = :t',
        ExpressionAttributeValues: { ':t': { BOOL: true } },
      }),
    );
    await ddb.client.send(new DeleteItemCommand({ TableName: 'events', Key: key }));
    const records = await stream.next();
    expect(records.map((r) => r.eventName)).toEqual(['MODIFY', 'REMOVE']);

    expect((await invoke(records)).batchItemFailures).toEqual([]);
    expect(metricLines).toEqual([
      expect.objectContaining({ EventsChangedOrRemoved: 1, eventName: 'MODIFY', stream: pk.S, version: 2 }),
      expect.objectContaining({ EventsChangedOrRemoved: 1, eventName: 'REMOVE', stream: pk.S, version: 2 }),
    ]);
    const views = new DynamoDbReadModels({ client: ddb.client, ...live });
    expect(await views.account(ctx.tenantId, alice)).toEqual(before);
  });
});
