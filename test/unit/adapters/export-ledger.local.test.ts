// The ledger export's source on DynamoDB Local: the by-tenant-time GSI of the history, its shards merged.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ledgerPostings } from '../../../lambdas/adapters/dynamodb-export-ledger.ts';
import { LEDGER_SHARDS, ledgerSortKey } from '../../../lambdas/domain/projections/account-history.ts';
import type { Posting } from '../../../lambdas/domain/projections/read-model.ts';
import { type DynamoDbLocal, startDynamoDbLocal } from '../../support/dynamodb-local.ts';
import { batchWrite, createHistoryTable, historyItems } from '../../support/export-ledger-table.ts';

let ddb: DynamoDbLocal;
let table: string;
const ACCOUNTS = ['acc_a', 'acc_b', 'acc_c', 'acc_d', 'acc_e'];
const START = Date.UTC(2026, 10, 1);
/** 1,500 transfers, three per second (ties on postedAt), between the tenant's accounts; another tenant's too. */
const transfers = Array.from({ length: 1500 }, (_, i) => ({
  transferId: `tr_${((i * 7919) % 1500).toString(36).padStart(4, '0')}`,
  debitAccountId: ACCOUNTS[i % 5] ?? '',
  creditAccountId: ACCOUNTS[(i + 1 + (i % 3)) % 5] ?? '',
  amount: 100 + i,
  postedAt: new Date(START + Math.floor(i / 3) * 1000).toISOString(),
}));
const items = transfers.flatMap((t) => historyItems('tenant-a', t));

beforeAll(async () => {
  ddb = await startDynamoDbLocal();
  table = await createHistoryTable(ddb.client, 'history-blue');
  await batchWrite(ddb.client, table, [...items, ...transfers.flatMap((t) => historyItems('tenant-b', t))]);
});
afterAll(async () => {
  await ddb?.stop();
});

const read = async (after: string, to: string, pageSize = 50) => {
  const rows: Posting[] = [];
  for await (const row of ledgerPostings(ddb.client, table, 'tenant-a', { after, to, pageSize }))
    rows.push(row);
  return rows;
};
const keysOf = (rows: readonly { postedAt: string; transferId: string; accountId: string }[]) =>
  rows.map(ledgerSortKey);

describe('the ledger of a tenant in time order (by-tenant-time)', () => {
  it('spreads a tenant over the shards and reads every posting of it in (postedAt, transferId, accountId) order', async () => {
    expect(new Set(items.map((item) => item.ledgerPk)).size).toBe(LEDGER_SHARDS);
    const rows = await read('2026-11-01T00:00:00.000Z', '2026-12-01T00:00:00.000Z');
    const expected = keysOf(items.map((item) => item as unknown as Posting)).sort();
    expect(keysOf(rows)).toEqual(expected);
    expect(rows).toHaveLength(3000);
    expect(rows[0]).toMatchObject({ currency: 'USD', type: 'TransferPosted' });
  });

  it('keeps to [from, to) and resumes after any row, tie or not, with nothing missed or repeated', async () => {
    const from = new Date(START + 100_000).toISOString();
    const to = new Date(START + 200_000).toISOString();
    const period = await read(from, to);
    expect(period).toHaveLength(2 * 3 * 100);
    expect(period.every((row) => row.postedAt >= from && row.postedAt < to)).toBe(true);
    for (const k of [0, 1, 2, 299, 598]) {
      const cursor = period[k];
      if (!cursor) throw new Error(`no row ${k}`);
      const rest = await read(ledgerSortKey(cursor), to, 7);
      expect(keysOf(rest), `after row ${k}`).toEqual(keysOf(period.slice(k + 1)));
    }
  });
});
