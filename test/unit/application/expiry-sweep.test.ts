import { beforeEach, describe, expect, it } from 'vitest';
import {
  createTransfer,
  getTransfer,
  postTransfer,
  voidTransfer,
} from '../../../lambdas/application/commands.ts';
import { EXPIRY_SWEEP_ACTOR, sweepExpiredTransfers } from '../../../lambdas/application/expiry-sweep.ts';
import { getAccount } from '../../../lambdas/application/queries.ts';
import { availableBalance } from '../../../lambdas/domain/account.ts';
import type { DuePage, DueTransfer, DueTransfers } from '../../../lambdas/domain/expiry.ts';
import { EXPIRY_SHARDS, expiryShardKey } from '../../../lambdas/domain/expiry.ts';
import { expiryIndexAttributes } from '../../../lambdas/domain/projections/transfer-view.ts';
import { evolveTransfer, type TransferState } from '../../../lambdas/domain/transfer.ts';
import { ctx, inMemoryPorts, type TestPorts } from '../../support/in-memory-ports.ts';
import { reservation } from '../../support/reservations.ts';

let ports: TestPorts;
const c = ctx();
const retry = { maxAttempts: 5, wait: async () => {} };

interface IndexRow extends DueTransfer {
  readonly expiryShard: string;
}

/**
 * The expiry index as the projector would have left it at this moment (every transfer stream folded and
 * given the view's index attributes), frozen: later posts and voids do not remove rows, as a GSI that
 * lags does not.
 */
function indexNow(): IndexRow[] {
  const rows: IndexRow[] = [];
  for (const events of ports.events.streams.values()) {
    if (events[0]?.stream.type !== 'transfer') continue;
    const state = events.reduce<TransferState | null>((s, e) => evolveTransfer(s, e), null);
    const keys = expiryIndexAttributes(state);
    if (!state || keys.expiryShard === undefined || keys.expiresAt === undefined) continue;
    rows.push({
      tenantId: state.tenantId,
      transferId: state.id,
      expiresAt: keys.expiresAt,
      expiryShard: keys.expiryShard,
    });
  }
  return rows.sort((a, b) => a.expiresAt.localeCompare(b.expiresAt));
}

/** Pages over `rows` (a stale copy of the index) by offset, counting the pages read. */
function staleIndex(rows: readonly IndexRow[]): DueTransfers & { reads: number } {
  return {
    reads: 0,
    async page(shard, dueBy, cursor, limit): Promise<DuePage> {
      this.reads++;
      const due = rows.filter(
        (r) => r.expiryShard === expiryShardKey(shard) && r.expiresAt <= dueBy.toISOString(),
      );
      const from = cursor === null ? 0 : Number(cursor);
      const transfers = due.slice(from, from + limit).map(({ expiryShard: _, ...row }) => row);
      return { transfers, cursor: from + limit < due.length ? String(from + limit) : null };
    },
  };
}

const reserve = (amount: number, timeoutSeconds: number) => reservation(ports, c, amount, timeoutSeconds);

const available = async (accountId: string) =>
  availableBalance(await getAccount(ports, 'tenant-a', accountId));
const status = async (transferId: string) => (await getTransfer(ports, 'tenant-a', transferId)).status;
const expiryEvents = () =>
  ports.events.all().filter((e) => e.type === 'PendingTransferExpired' && e.stream.type === 'transfer');

beforeEach(() => {
  ports = inMemoryPorts();
});

describe('the expiry sweep', () => {
  it('lists only reservations with an expiry, and only while they are pending', async () => {
    const { pending } = await reserve(100, 30);
    const { from, pending: open } = await reserve(100, 30);
    await createTransfer(ports, c, {
      debitAccountId: from,
      creditAccountId: pending.creditAccountId,
      amount: 1,
      currency: 'USD',
      pending: true,
    });
    expect(
      indexNow()
        .map((r) => r.transferId)
        .sort(),
    ).toEqual([pending.id, open.id].sort());
    await voidTransfer(ports, c, { transferId: open.id });
    expect(indexNow().map((r) => r.transferId)).toEqual([pending.id]);
    expect(indexNow()[0]?.expiryShard).toMatch(new RegExp(`^expiry#[0-${EXPIRY_SHARDS - 1}]$`));
  });

  it('expires what is due, releasing the funds, and leaves what is not yet due', async () => {
    const due = await reserve(400, 30);
    const later = await reserve(300, 300);
    ports.clock.advance(31);
    const report = await sweepExpiredTransfers({ ports, due: staleIndex(indexNow()), retry }, 'run-1');
    expect(report).toMatchObject({ expired: 1, skipped: 0, failures: [], complete: true });
    expect(await status(due.pending.id)).toBe('expired');
    expect(await available(due.from)).toBe(1000);
    expect(await status(later.pending.id)).toBe('pending');
    expect(await available(later.from)).toBe(700);
    // The expiry is on the transfer and on both accounts' streams, stamped as the sweep's.
    const streams = ports.events.all().filter((e) => e.type === 'PendingTransferExpired');
    expect(streams.map((e) => e.stream.type).sort()).toEqual(['account', 'account', 'transfer']);
    expect(streams[0]).toMatchObject({
      tenantId: 'tenant-a',
      actor: EXPIRY_SWEEP_ACTOR,
      causationId: 'run-1',
      correlationId: due.pending.id,
    });
  });

  it('skips a transfer posted or voided after the index listed it, writing nothing', async () => {
    const posted = await reserve(400, 30);
    const voided = await reserve(200, 30);
    const rows = indexNow();
    await postTransfer(ports, c, { transferId: posted.pending.id });
    await voidTransfer(ports, c, { transferId: voided.pending.id });
    ports.clock.advance(31);
    const appends = ports.events.appendCalls;
    const report = await sweepExpiredTransfers({ ports, due: staleIndex(rows), retry }, 'run-1');
    expect(report).toMatchObject({ expired: 0, skipped: 2, failures: [] });
    expect(ports.events.appendCalls).toBe(appends);
    expect(await status(posted.pending.id)).toBe('posted');
    expect(await status(voided.pending.id)).toBe('voided');
  });

  it('expires each transfer once when two sweeps overlap, and a third finds nothing left', async () => {
    const reservations = await Promise.all(Array.from({ length: 6 }, () => reserve(100, 10)));
    ports.clock.advance(11);
    const rows = indexNow();
    const [a, b] = await Promise.all([
      sweepExpiredTransfers({ ports, due: staleIndex(rows), retry }, 'run-a'),
      sweepExpiredTransfers({ ports, due: staleIndex(rows), retry }, 'run-b'),
    ]);
    expect(a.expired + b.expired).toBe(6);
    expect(a.skipped + b.skipped).toBe(6);
    expect([...a.failures, ...b.failures]).toEqual([]);
    expect(expiryEvents()).toHaveLength(6);
    for (const r of reservations) expect(await available(r.from)).toBe(1000);
    const third = await sweepExpiredTransfers({ ports, due: staleIndex(rows), retry }, 'run-c');
    expect(third).toMatchObject({ expired: 0, skipped: 6 });
  });

  it('pages through every due row of every shard', async () => {
    await Promise.all(Array.from({ length: 12 }, () => reserve(10, 5)));
    ports.clock.advance(6);
    const rows = indexNow();
    const index = staleIndex(rows);
    const report = await sweepExpiredTransfers({ ports, due: index, retry, pageSize: 1 }, 'run-1');
    expect(report.expired).toBe(12);
    // One page per row (page size 1), and one empty page for each shard that had none.
    const shardsWithRows = new Set(rows.map((r) => r.expiryShard)).size;
    expect(report.pages).toBe(12 + EXPIRY_SHARDS - shardsWithRows);
    expect(index.reads).toBe(report.pages);
  });

  it('stops when out of time, and the next run (or one after a missed run) goes on', async () => {
    await Promise.all(Array.from({ length: 4 }, () => reserve(10, 5)));
    ports.clock.advance(6);
    let budget = 1;
    const hasTime = () => budget-- > 0;
    const first = await sweepExpiredTransfers(
      { ports, due: staleIndex(indexNow()), retry, hasTime, pageSize: 1 },
      'run-1',
    );
    expect(first).toMatchObject({ expired: 1, complete: false });
    ports.clock.advance(120);
    const next = await sweepExpiredTransfers({ ports, due: staleIndex(indexNow()), retry }, 'run-3');
    expect(next).toMatchObject({ expired: 3, skipped: 0, complete: true });
    expect(expiryEvents()).toHaveLength(4);
  });

  it('reports a transfer it cannot expire and still expires the others', async () => {
    const good = await reserve(100, 5);
    const bad = await reserve(100, 5);
    ports.clock.advance(6);
    const rows = indexNow();
    const events = ports.events;
    const failing = {
      ...events,
      readStream: events.readStream.bind(events),
      append: async (writes: Parameters<typeof events.append>[0]) => {
        if (writes.some((w) => w.stream.id === bad.pending.id)) throw new Error('table unavailable');
        return events.append(writes);
      },
    };
    const report = await sweepExpiredTransfers(
      { ports: { ...ports, events: failing }, due: staleIndex(rows), retry },
      'run-1',
    );
    expect(report.expired).toBe(1);
    expect(report.failures).toEqual([
      expect.objectContaining({
        transferId: bad.pending.id,
        tenantId: 'tenant-a',
        error: 'table unavailable',
      }),
    ]);
    expect(await status(good.pending.id)).toBe('expired');
    expect(await status(bad.pending.id)).toBe('pending');
  });
});
