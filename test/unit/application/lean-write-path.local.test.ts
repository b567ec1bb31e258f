import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RequestCounter } from '../../../bench/support/request-counter.ts';
import { DynamoDbEventStore } from '../../../lambdas/adapters/dynamodb-event-store.ts';
import { DynamoDbSnapshotStore } from '../../../lambdas/adapters/dynamodb-snapshot-store.ts';
import { systemClock, UlidGenerator } from '../../../lambdas/adapters/ids.ts';
import { createTransfer, deposit, openAccount, withdraw } from '../../../lambdas/application/commands.ts';
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

async function funded(ports: LedgerPorts, amount: number): Promise<string> {
  const { id } = await openAccount(ports, c, { currency: 'USD' });
  if (amount > 0) await deposit(ports, c, { accountId: id, amount, currency: 'USD' });
  return id;
}

describe('a new transfer on DynamoDB', () => {
  it('does not read its own stream: its legs, then one transaction', async () => {
    const ports = container();
    const [from, to] = [await funded(ports, 100), await funded(ports, 0)];
    const { count } = await counter.count(() =>
      createTransfer(container(), c, {
        debitAccountId: from,
        creditAccountId: to,
        amount: 1,
        currency: 'USD',
      }),
    );
    expect(count.byCommand).toEqual({ GetItemCommand: 2, QueryCommand: 2, TransactWriteItemsCommand: 1 });
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
