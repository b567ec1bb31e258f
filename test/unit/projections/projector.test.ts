import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { getTransfer } from '../../../lambdas/application/commands.ts';
import { getAccount, getAccountView } from '../../../lambdas/application/queries.ts';
import { availableBalance } from '../../../lambdas/domain/account.ts';
import type { StoredEvent } from '../../../lambdas/domain/events.ts';
import { Projector, UnfillableGapError } from '../../../lambdas/domain/projections/projector.ts';
import { READ_MODELS } from '../../../lambdas/domain/projections/read-model.ts';
import { settlementAccountId } from '../../../lambdas/domain/system-ids.ts';
import type { TestPorts } from '../../support/in-memory-ports.ts';
import { InMemoryReadModels } from '../../support/in-memory-read-models.ts';
import { inStreamOrder, lastOfEachStream, ledgerScenario } from './ledger-scenario.ts';

let ports: TestPorts;
let ids: Record<string, string>;
let events: StoredEvent[];
let clean: InMemoryReadModels;

/** Projects `deliveries` in the order given, in batches of `batchSize` (a fresh Projector per batch, as per invocation). */
async function project(deliveries: readonly StoredEvent[], batchSize = deliveries.length) {
  const readModels = new InMemoryReadModels();
  for (let i = 0; i < deliveries.length; i += Math.max(1, batchSize)) {
    const projector = new Projector({ events: ports.events, readModels });
    for (const event of deliveries.slice(i, i + Math.max(1, batchSize))) await projector.project(event);
  }
  return readModels;
}

function expectSameAsClean(readModels: InMemoryReadModels): void {
  for (const model of READ_MODELS) expect(readModels.dump(model), model).toBe(clean.dump(model));
}

beforeAll(async () => {
  ({ ports, ids } = await ledgerScenario());
  events = inStreamOrder(ports);
  clean = await project(events);
});

describe('account view', () => {
  it('equals the write side: balances, status and version of every account, shards summed', async () => {
    for (const [tenant, id] of [
      ['tenant-a', ids.alice],
      ['tenant-a', ids.bob],
      ['tenant-a', ids.yen],
      ['tenant-b', ids.carol],
      ['tenant-a', settlementAccountId('USD')],
    ] as const) {
      const expected = await getAccount(ports, tenant, id ?? '');
      expect(await getAccountView(clean, tenant, id ?? '')).toEqual(expected);
    }
    const alice = await clean.account('tenant-a', ids.alice ?? '');
    expect(alice && availableBalance(alice)).toBe(10_000 - 2_500 - 1_000);
  });

  it("keeps tenants apart: another tenant's account is not there", async () => {
    expect(await clean.account('tenant-b', ids.alice ?? '')).toBeNull();
  });
});

describe('transfer view', () => {
  it('equals the transfer stream: posted, partially posted, voided', async () => {
    for (const id of [ids.t1, ids.hold, ids.voided]) {
      expect(await clean.transfer('tenant-a', id ?? '')).toEqual(
        await getTransfer(ports, 'tenant-a', id ?? ''),
      );
    }
    expect(await clean.transfer('tenant-a', ids.hold ?? '')).toMatchObject({
      status: 'posted',
      postedAmount: 1_000,
    });
  });
});

describe('account history', () => {
  it("lists a system account's postings as one history across its shards", async () => {
    const page = await clean.postings('tenant-a', settlementAccountId('USD'), null, 100);
    expect(page?.rows.length).toBeGreaterThan(0);
    for (const row of page?.rows ?? []) {
      expect(row).toMatchObject({ accountId: settlementAccountId('USD'), postedBalanceAfter: null });
      expect(row.stream).toMatch(/^settlement-USD~\d+$/);
    }
    expect(await clean.postings('tenant-a', settlementAccountId('EUR'), null, 100)).toBeNull();
  });

  it("keeps a hot account's postings in one history, whatever stream they landed on, with no running balance", async () => {
    const rows = (await clean.postings('tenant-a', ids.bob ?? '', null, 100))?.rows ?? [];
    expect(rows.map((r) => r.direction).sort()).toEqual(['credit', 'credit', 'debit']);
    for (const row of rows) expect(row).toMatchObject({ accountId: ids.bob, postedBalanceAfter: null });
    const credit = rows.find((r) => r.direction === 'credit');
    expect(credit?.stream).toMatch(new RegExp(`^${ids.bob}~\\d+$`));
  });

  it('has one row per posting, in (postedAt, transferId) order, with the posted balance after each', async () => {
    const page = await clean.postings('tenant-a', ids.alice ?? '', null, 100);
    expect(page?.more).toBe(false);
    expect(page?.rows.map((r) => [r.type, r.direction, r.amount, r.postedBalanceAfter])).toEqual([
      ['TransferPosted', 'credit', 10_000, 10_000],
      ['TransferPosted', 'debit', 2_500, 7_500],
      ['PendingTransferPosted', 'debit', 1_000, 6_500],
    ]);
    const bob = await clean.postings('tenant-a', ids.bob ?? '', null, 100);
    expect(bob?.rows.map((r) => [r.counterpartyAccountId, r.direction, r.amount])).toEqual([
      [ids.alice, 'credit', 2_500],
      [ids.alice, 'credit', 1_000],
      [settlementAccountId('USD'), 'debit', 3_000],
    ]);
  });

  it('pages by keyset without loss or repetition', async () => {
    const first = await clean.postings('tenant-a', ids.alice ?? '', null, 2);
    expect(first?.more).toBe(true);
    const last = first?.rows.at(-1);
    const second = await clean.postings('tenant-a', ids.alice ?? '', last ?? null, 2);
    expect(second?.more).toBe(false);
    const all = await clean.postings('tenant-a', ids.alice ?? '', null, 100);
    expect([...(first?.rows ?? []), ...(second?.rows ?? [])]).toEqual(all?.rows);
  });

  it('knows an account with no postings, and not an unknown one', async () => {
    expect(await clean.postings('tenant-a', 'acct_nope', null, 10)).toBeNull();
  });
});

describe('daily totals', () => {
  it('counts each posting once per tenant, currency and day, from the transfer stream only', async () => {
    const day1 = '2026-01-01';
    const day2 = '2026-01-02';
    expect(await clean.dailyTotals('tenant-a', 'USD', day1, day2)).toEqual([
      {
        day: day1,
        currency: 'USD',
        count: 2,
        debits: 12_500,
        credits: 12_500,
        deposits: 10_000,
        withdrawals: 0,
      },
      {
        day: day2,
        currency: 'USD',
        count: 2,
        debits: 4_000,
        credits: 4_000,
        deposits: 0,
        withdrawals: 3_000,
      },
    ]);
    expect(await clean.dailyTotals('tenant-a', 'JPY', day1, day2)).toEqual([
      { day: day1, currency: 'JPY', count: 1, debits: 500, credits: 500, deposits: 500, withdrawals: 0 },
    ]);
    expect(await clean.dailyTotals('tenant-b', 'USD', day1, day1)).toMatchObject([
      { count: 1, deposits: 700 },
    ]);
    expect(await clean.currencies('tenant-a')).toEqual(['JPY', 'USD']);
  });
});

describe('exactness under the deliveries a stream can make', () => {
  it('gives the same rows when every stream arrives in reverse order', async () => {
    expectSameAsClean(await project([...events].reverse()));
  });

  it('gives the same rows when everything arrives twice, and applies each event once', async () => {
    const twice = await project([...events, ...events], 7);
    expectSameAsClean(twice);
    expect(twice.commits).toBe(clean.commits);
  });

  it('fills gaps from the event store when only the last event of each stream arrives', async () => {
    expectSameAsClean(await project(lastOfEachStream(events)));
  });

  it('skips an event another projector applied between its read and its write', async () => {
    const readModels = new InMemoryReadModels();
    const projector = new Projector({ events: ports.events, readModels });
    readModels.beforeCommit = (commit) => {
      // Another projector wins the race: the same commit lands first, once.
      readModels.beforeCommit = () => {};
      void readModels.commit(commit);
    };
    const first = events[0] as StoredEvent;
    const outcomes = await projector.project(first);
    expect(Object.values(outcomes)).toContain('skipped');
    expect(readModels.commits).toBe(Object.keys(outcomes).length);
  });

  it('fails when the event store cannot fill a gap either', async () => {
    const projector = new Projector({
      events: { readStream: async () => [] },
      readModels: new InMemoryReadModels(),
    });
    const late = events.find((e) => e.version === 3) as StoredEvent;
    await expect(projector.project(late)).rejects.toBeInstanceOf(UnfillableGapError);
  });

  it('equals a clean replay byte for byte under any shuffle, duplication, loss of non-final events and batching', async () => {
    const last = new Set(lastOfEachStream(events));
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.nat(3), { minLength: events.length, maxLength: events.length }),
        fc.integer({ min: 0, max: 2 ** 31 - 1 }),
        fc.integer({ min: 1, max: 40 }),
        async (copies, seed, batchSize) => {
          // Each event delivered 0-3 times (the last of a stream at least once), then shuffled.
          const deliveries = events.flatMap((event, i) =>
            Array.from({ length: Math.max(copies[i] ?? 1, last.has(event) ? 1 : 0) }, () => event),
          );
          expectSameAsClean(await project(shuffle(deliveries, seed), batchSize));
        },
      ),
      { numRuns: 150 },
    );
  });
});

describe('batch projection (one folded commit per stream and model)', () => {
  async function projectInBatches(deliveries: readonly StoredEvent[], batchSize: number) {
    const readModels = new InMemoryReadModels();
    for (let i = 0; i < deliveries.length; i += batchSize) {
      const projector = new Projector({ events: ports.events, readModels });
      const failures = await projector.projectBatch(deliveries.slice(i, i + batchSize));
      expect([...failures.keys()]).toEqual([]);
    }
    return readModels;
  }

  it('commits each stream and model once per batch', async () => {
    const readModels = await projectInBatches(events, events.length);
    expectSameAsClean(readModels);
    expect(readModels.commits).toBeLessThan(clean.commits / 2);
  });

  it('equals a clean replay byte for byte under any shuffle, duplication, loss of non-final events and batching', async () => {
    const last = new Set(lastOfEachStream(events));
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.nat(3), { minLength: events.length, maxLength: events.length }),
        fc.integer({ min: 0, max: 2 ** 31 - 1 }),
        fc.integer({ min: 1, max: 40 }),
        async (copies, seed, batchSize) => {
          const deliveries = events.flatMap((event, i) =>
            Array.from({ length: Math.max(copies[i] ?? 1, last.has(event) ? 1 : 0) }, () => event),
          );
          expectSameAsClean(await projectInBatches(shuffle(deliveries, seed), batchSize));
        },
      ),
      { numRuns: 150 },
    );
  });

  it('redoes event by event a folded commit whose guard moved, and still applies everything once', async () => {
    const readModels = new InMemoryReadModels();
    const alice = events.filter((e) => e.stream.id === ids.alice);
    const ours = new Projector({ events: ports.events, readModels });
    await ours.projectBatch(alice.slice(0, 1)); // ours now remembers alice's guards at version 1
    await new Projector({ events: ports.events, readModels }).projectBatch(alice.slice(1, 2)); // a rival moves them to 2
    const commits = readModels.commits;
    expect([...(await ours.projectBatch(alice.slice(1))).keys()]).toEqual([]);
    expect(await readModels.account('tenant-a', ids.alice ?? '')).toEqual(
      await clean.account('tenant-a', ids.alice ?? ''),
    );
    expect((await readModels.postings('tenant-a', ids.alice ?? '', null, 100))?.rows).toEqual(
      (await clean.postings('tenant-a', ids.alice ?? '', null, 100))?.rows,
    );
    // Two folded commits rejected, then one per model and remaining event (version 2 skipped).
    expect(readModels.commits - commits).toBe(2 * (alice.length - 2));
  });

  it('reports the first version that fails, per stream, and applies the versions before it', async () => {
    const readModels = new InMemoryReadModels();
    const alice = events.filter((e) => e.stream.id === ids.alice);
    const broken = { ...(alice[2] as StoredEvent), type: 'Nonsense' } as unknown as StoredEvent;
    const projector = new Projector({ events: ports.events, readModels });
    const failures = await projector.projectBatch([alice[0], alice[1], broken, alice[3]] as StoredEvent[]);
    expect([...failures.entries()].map(([, f]) => f.version)).toEqual([3]);
    expect(await readModels.account('tenant-a', ids.alice ?? '')).toMatchObject({ version: 2 });
  });
});

/** A deterministic Fisher-Yates shuffle (mulberry32). */
function shuffle<T>(items: readonly T[], seed: number): T[] {
  let state = seed >>> 0;
  const random = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}
