import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RequestCounter } from '../../../bench/support/request-counter.ts';
import { DynamoDbEventStore } from '../../../lambdas/adapters/dynamodb-event-store.ts';
import { DynamoDbSnapshotStore } from '../../../lambdas/adapters/dynamodb-snapshot-store.ts';
import { systemClock, UlidGenerator } from '../../../lambdas/adapters/ids.ts';
import { createTransfer, deposit, openAccount, withdraw } from '../../../lambdas/application/commands.ts';
import { loadAccount, SNAPSHOT_EVERY } from '../../../lambdas/application/repository.ts';
import { TransferExistsWithDifferentFieldsError } from '../../../lambdas/domain/errors.ts';
import type { LedgerPorts } from '../../../lambdas/domain/ports.ts';
import {
  createEventsTable,
  createSnapshotsTable,
  type DynamoDbLocal,
  startDynamoDbLocal,
} from '../../support/dynamodb-local.ts';

const c = { tenantId: 'tenant_lean', correlationId: 'req_1', causationId: 'req_1', actor: 'key_1' };
let ddb: DynamoDbLocal;
let counter: RequestCounter;
let tables: { events: string; snapshots: string };

beforeAll(async () => {
  ddb = await startDynamoDbLocal();
  tables = { events: await createEventsTable(ddb.client), snapshots: await createSnapshotsTable(ddb.client) };
  counter = new RequestCounter(ddb.client);
});

afterAll(async () => {
  await ddb?.stop();
});

/** A container's ports on DynamoDB Local (a fresh one: nothing remembered from another). */
function container(): LedgerPorts {
  return {
    events: new DynamoDbEventStore({ client: ddb.client, tableName: tables.events }),
    snapshots: new DynamoDbSnapshotStore({ client: ddb.client, tableName: tables.snapshots }),
    clock: systemClock,
    ids: new UlidGenerator(),
  };
}

/** A snapshot store that remembers nothing between loads. */
const noRecent = () =>
  new DynamoDbSnapshotStore({ client: ddb.client, tableName: tables.snapshots, recentStreams: 0 });

async function funded(ports: LedgerPorts, amount: number): Promise<string> {
  const { id } = await openAccount(ports, c, { currency: 'USD' });
  if (amount > 0) await deposit(ports, c, { accountId: id, amount, currency: 'USD' });
  return id;
}

describe('a new transfer on DynamoDB', () => {
  it('does not read its own stream: one Query per leg, then one transaction', async () => {
    const ports = container();
    const [from, to] = [await funded(ports, 100), await funded(ports, 0)];
    const transfer = (p: LedgerPorts) =>
      counter.count(() =>
        createTransfer(p, c, { debitAccountId: from, creditAccountId: to, amount: 1, currency: 'USD' }),
      );
    // A container that never saw the legs (short streams: no snapshot lookup), then one that did.
    const cold = await transfer(container());
    const warm = await transfer(ports);
    const expected = { QueryCommand: 2, TransactWriteItemsCommand: 1 };
    expect([cold.count.byCommand, warm.count.byCommand]).toEqual([expected, expected]);
    expect([cold.count.roundTrips, warm.count.roundTrips]).toEqual([2, 2]);
  });

  it("looks a long stream's snapshot up in a container that has not loaded it, and no more after", async () => {
    const ports = container();
    const [from, to] = [await funded(ports, 1_000), await funded(ports, 0)];
    for (let i = 0; i < SNAPSHOT_EVERY + 5; i++) {
      await createTransfer(ports, c, {
        debitAccountId: from,
        creditAccountId: to,
        amount: 1,
        currency: 'USD',
      });
    }
    const other = container();
    const cold = await counter.count(() => loadAccount(other, c.tenantId, from));
    const warm = await counter.count(() => loadAccount(other, c.tenantId, from));
    expect(cold.count.byCommand).toEqual({ QueryCommand: 1, GetItemCommand: 1 });
    expect(warm.count.byCommand).toEqual({ QueryCommand: 1 });
    expect(warm.result).toEqual(cold.result);
    expect(cold.result).toMatchObject({ version: SNAPSHOT_EVERY + 7, snapshotVersion: SNAPSHOT_EVERY });
    expect(cold.result.state).toEqual(
      (await loadAccount({ ...other, snapshots: noRecent() }, c.tenantId, from)).state,
    );
  });

  it('meets an existing transfer: the same command gets the first answer, another one the error', async () => {
    const ports = container();
    const [from, to] = [await funded(ports, 10), await funded(ports, 0)];
    const input = { id: 'tr_same', debitAccountId: from, creditAccountId: to, amount: 10, currency: 'USD' };
    const first = await createTransfer(ports, c, input);
    // Another container, which has read nothing: its blind create is cancelled on the transfer's slot.
    expect(await createTransfer(container(), c, input)).toEqual(first);
    await expect(createTransfer(container(), c, { ...input, amount: 9 })).rejects.toThrow(
      TransferExistsWithDifferentFieldsError,
    );
    // The payer is empty now: the retry is still answered, and a withdrawal's retry the same way.
    const out = await withdraw(ports, c, { id: 'wd_same', accountId: to, amount: 10, currency: 'USD' });
    expect(
      await withdraw(container(), c, { id: 'wd_same', accountId: to, amount: 10, currency: 'USD' }),
    ).toEqual(out);
  });
});
