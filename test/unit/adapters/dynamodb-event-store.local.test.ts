import { randomUUID } from 'node:crypto';
import { PutItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { DynamoDbEventStore } from '../../../lambdas/adapters/dynamodb-event-store.ts';
import { DynamoDbSnapshotStore } from '../../../lambdas/adapters/dynamodb-snapshot-store.ts';
import { ConcurrencyConflictError } from '../../../lambdas/domain/errors.ts';
import { type StreamRef, streamKey } from '../../../lambdas/domain/events.ts';
import type { NewEvent, StreamWrite } from '../../../lambdas/domain/ports.ts';
import transferPosted from '../../fixtures/events/transfer-posted.json' with { type: 'json' };
import {
  createEventsTable,
  createSnapshotsTable,
  type DynamoDbLocal,
  startDynamoDbLocal,
} from '../../support/dynamodb-local.ts';

const TENANT = 'tenant_1';
let ddb: DynamoDbLocal;
let events: DynamoDbEventStore;
let snapshots: DynamoDbSnapshotStore;

beforeAll(async () => {
  ddb = await startDynamoDbLocal();
  events = new DynamoDbEventStore({ client: ddb.client, tableName: await createEventsTable(ddb.client) });
  snapshots = new DynamoDbSnapshotStore({
    client: ddb.client,
    tableName: await createSnapshotsTable(ddb.client),
  });
});

afterAll(async () => {
  await ddb?.stop();
});

/** A fresh account stream, so tests share the table but not their data. */
const newAccount = (): StreamRef => ({ type: 'account', tenantId: TENANT, id: `acct_${randomUUID()}` });

const envelope = {
  schemaVersion: 1,
  occurredAt: '2024-03-02T10:00:00.000Z',
  tenantId: TENANT,
  correlationId: 'req_1',
  causationId: 'req_1',
  actor: 'key_1',
};

function opened(stream: StreamRef): NewEvent {
  return {
    ...envelope,
    schemaVersion: 2,
    eventId: `evt_${randomUUID()}`,
    type: 'AccountOpened',
    payload: {
      accountId: stream.id,
      currency: 'USD',
      kind: 'customer',
      flags: { debitsMustNotExceedCredits: true, creditsMustNotExceedDebits: false },
    },
  };
}

function posted(transferId: string, debit: StreamRef, credit: StreamRef, amount = 100): NewEvent {
  return {
    ...envelope,
    eventId: `evt_${randomUUID()}`,
    type: 'TransferPosted',
    payload: {
      transferId,
      debitAccountId: debit.id,
      creditAccountId: credit.id,
      currency: 'USD',
      amount,
      purpose: 'transfer',
      reference: null,
    },
  };
}

/** The three writes of a transfer between two accounts at the given versions. */
function transferWrites(
  debit: StreamRef,
  debitAt: number,
  credit: StreamRef,
  creditAt: number,
): StreamWrite[] {
  const id = `xfer_${randomUUID()}`;
  const event = posted(id, debit, credit);
  return [
    { stream: { type: 'transfer', tenantId: TENANT, id }, expectedVersion: 0, events: [event] },
    { stream: debit, expectedVersion: debitAt, events: [event] },
    { stream: credit, expectedVersion: creditAt, events: [event] },
  ];
}

async function openAccount(): Promise<StreamRef> {
  const stream = newAccount();
  await events.append([{ stream, expectedVersion: 0, events: [opened(stream)] }]);
  return stream;
}

describe('DynamoDbEventStore on DynamoDB Local', () => {
  it('reads back what it appended, in order, with envelope and version', async () => {
    const debit = await openAccount();
    const credit = await openAccount();
    await events.append(transferWrites(debit, 1, credit, 1));

    const stored = await events.readStream(credit);

    expect(stored.map((event) => [event.version, event.type])).toEqual([
      [1, 'AccountOpened'],
      [2, 'TransferPosted'],
    ]);
    expect(stored[1]).toMatchObject({
      stream: credit,
      tenantId: TENANT,
      payload: { creditAccountId: credit.id },
    });
  });

  it('refuses a transfer when one account moved, names only that account, and writes nothing', async () => {
    const debit = await openAccount();
    const credit = await openAccount();
    const writes = transferWrites(debit, 1, credit, 1);
    await events.append(transferWrites(await openAccount(), 1, credit, 1));

    const error = await events.append(writes).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(ConcurrencyConflictError);
    expect(error).toMatchObject({ streams: [streamKey(credit)] });
    const [transfer] = writes;
    expect(await events.readStream(debit)).toHaveLength(1);
    expect(transfer && (await events.readStream(transfer.stream))).toEqual([]);
  });

  it('refuses a write that would leave a gap after the stream head', async () => {
    const debit = await openAccount();
    const credit = await openAccount();

    await expect(events.append(transferWrites(debit, 1, credit, 5))).rejects.toMatchObject({
      name: 'ConcurrencyConflictError',
      streams: [streamKey(credit)],
    });
    expect(await events.readStream(credit)).toHaveLength(1);
  });

  it('refuses a single event whose expected version is past the head, and writes nothing', async () => {
    const stream = await openAccount();

    await expect(
      events.append([{ stream, expectedVersion: 3, events: [posted('xfer_gap', newAccount(), stream)] }]),
    ).rejects.toMatchObject({ name: 'ConcurrencyConflictError', streams: [streamKey(stream)] });
    expect((await events.readStream(stream)).map((event) => event.version)).toEqual([1]);
  });

  it('reads the newest events backwards from the head, and only after a version', async () => {
    const stream = await openAccount();
    const more = Array.from({ length: 9 }, (_, i) => posted(`xfer_${i}`, newAccount(), stream));
    await events.append([{ stream, expectedVersion: 1, events: more }]);

    expect((await events.readNewest(stream, 3)).map((event) => event.version)).toEqual([8, 9, 10]);
    expect((await events.readNewest(stream, 3, 8)).map((event) => event.version)).toEqual([9, 10]);
    expect(await events.readNewest(stream, 3, 10)).toEqual([]);
  });

  it('reads items of the first layout beside lean ones in one stream', async () => {
    const stream = await openAccount();
    const legacy = {
      ...transferPosted,
      pk: { S: streamKey(stream) },
      streamId: { S: stream.id },
      tenantId: { S: TENANT },
    };
    await ddb.client.send(new PutItemCommand({ TableName: 'events', Item: legacy }));

    const stored = await events.readStream(stream);

    expect(stored.map((event) => [event.version, event.type, event.tenantId])).toEqual([
      [1, 'AccountOpened', TENANT],
      [2, 'TransferPosted', TENANT],
    ]);
    expect(stored[1]).toMatchObject({ eventId: 'evt_2', causationId: 'req_2', stream });
  });

  it('lets exactly one of 8 concurrent single-event appenders at the same version win', async () => {
    const stream = await openAccount();
    const other = newAccount();

    const results = await Promise.allSettled(
      Array.from({ length: 8 }, (_, i) =>
        events.append([{ stream, expectedVersion: 1, events: [posted(`xfer_${i}`, other, stream)] }]),
      ),
    );

    expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
    for (const result of results.filter((r) => r.status === 'rejected')) {
      expect(result.reason).toBeInstanceOf(ConcurrencyConflictError);
      expect(result.reason).toMatchObject({ streams: [streamKey(stream)] });
    }
    expect((await events.readStream(stream)).map((event) => event.version)).toEqual([1, 2]);
  });

  it('lets exactly one of 8 concurrent transfers from the same account version win', async () => {
    const debit = await openAccount();
    const credits = await Promise.all(Array.from({ length: 8 }, openAccount));

    const results = await Promise.allSettled(
      credits.map((credit) => events.append(transferWrites(debit, 1, credit, 1))),
    );

    expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
    for (const result of results.filter((r) => r.status === 'rejected')) {
      expect(result.reason).toBeInstanceOf(ConcurrencyConflictError);
      expect(result.reason).toMatchObject({ streams: expect.arrayContaining([streamKey(debit)]) });
    }
    expect(await events.readStream(debit)).toHaveLength(2);
  });

  it('pages through a stream longer than one page', async () => {
    const stream = await openAccount();
    const more = Array.from({ length: 24 }, (_, i) => posted(`xfer_${i}`, newAccount(), stream));
    await events.append([{ stream, expectedVersion: 1, events: more }]);
    const paged = new DynamoDbEventStore({ client: ddb.client, tableName: 'events', pageSize: 7 });
    const send = vi.spyOn(ddb.client, 'send');

    try {
      const all = await paged.readStream(stream);
      const queries = send.mock.calls.filter(([command]) => command instanceof QueryCommand).length;

      expect(all.map((event) => event.version)).toEqual(Array.from({ length: 25 }, (_, i) => i + 1));
      // 25 items in pages of 7: 7, 7, 7, 4.
      expect(queries).toBe(4);
      expect((await paged.readStream(stream, 20)).map((event) => event.version)).toEqual([
        20, 21, 22, 23, 24, 25,
      ]);
    } finally {
      send.mockRestore();
    }
  });

  it("keeps each tenant's streams apart", async () => {
    const stream = await openAccount();

    expect(await events.readStream({ ...stream, tenantId: 'tenant_2' })).toEqual([]);
  });
});

describe('DynamoDbSnapshotStore on DynamoDB Local', () => {
  it('keeps the newest snapshot per reducer version whatever order they are put in', async () => {
    const stream = newAccount();

    await snapshots.put({ stream, version: 200, reducerVersion: 1, state: { balance: 200 } });
    await snapshots.put({ stream, version: 100, reducerVersion: 1, state: { balance: 100 } });
    await snapshots.put({ stream, version: 100, reducerVersion: 2, state: { total: 100 } });

    expect(await snapshots.get(stream, 1)).toEqual({
      stream,
      version: 200,
      reducerVersion: 1,
      state: { balance: 200 },
    });
    expect(await snapshots.get(stream, 2)).toMatchObject({ version: 100, state: { total: 100 } });
    expect(await snapshots.get(stream, 3)).toBeNull();
  });
});
