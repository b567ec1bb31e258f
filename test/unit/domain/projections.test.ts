import { describe, expect, it, vi } from 'vitest';
import {
  createTransfer,
  deposit,
  getTransfer,
  openAccount,
  postTransfer,
  voidTransfer,
  withdraw,
} from '../../../lambdas/application/commands.ts';
import { getAccount } from '../../../lambdas/application/queries.ts';
import type { StoredEvent } from '../../../lambdas/domain/events.ts';
import { historyGuardKey } from '../../../lambdas/domain/projections/account-history.ts';
import {
  currenciesKey,
  dailyTotals,
  totalsGuardKey,
  totalsPartition,
} from '../../../lambdas/domain/projections/daily-totals.ts';
import { paymentView } from '../../../lambdas/domain/projections/payment-view.ts';
import {
  PROJECTIONS,
  Projector,
  projectionOf,
  UnfillableGapError,
} from '../../../lambdas/domain/projections/projector.ts';
import {
  type GuardedCommit,
  GuardMovedError,
  READ_MODELS,
} from '../../../lambdas/domain/projections/read-model.ts';
import { ctx, inMemoryPorts, type TestPorts } from '../../support/in-memory-ports.ts';
import { InMemoryReadModels } from '../../support/in-memory-read-models.ts';
import { inStreamOrder } from '../projections/ledger-scenario.ts';

const c = ctx();

/**
 * Two days of one tenant: alice (a customer) pays bob (a merchant, hot: two replicas) at once and through a
 * reservation posted in part, a reservation voided, and bob withdraws.
 */
async function twoDays() {
  const ports = inMemoryPorts();
  const alice = (await openAccount(ports, c, { currency: 'USD' })).id;
  const bob = (await openAccount(ports, c, { currency: 'USD', kind: 'merchant', shards: 2 })).id;
  const pay = async (amount: number, pending = false) =>
    (
      await createTransfer(ports, c, {
        debitAccountId: alice,
        creditAccountId: bob,
        amount,
        currency: 'USD',
        pending,
      })
    ).id;
  const topUp = (await deposit(ports, c, { accountId: alice, amount: 10_000, currency: 'USD' })).id;
  ports.clock.advance(60);
  const paid = await pay(2_500);
  const hold = await pay(4_000, true);
  ports.clock.advance(24 * 3600);
  await postTransfer(ports, c, { transferId: hold, amount: 1_000 });
  const voided = await pay(300, true);
  await voidTransfer(ports, c, { transferId: voided });
  const payout = (await withdraw(ports, c, { accountId: bob, amount: 3_000, currency: 'USD' })).id;
  return { ports, alice, bob, topUp, paid, hold, voided, payout };
}

/** The scenario, and alice's stream in version order. */
async function aliceStream() {
  const scenario = await twoDays();
  const stream = inStreamOrder(scenario.ports).filter((e) => e.stream.id === scenario.alice);
  return { ...scenario, stream };
}

/** A payment's first event, as the store hands it back. */
function paymentInitiated(paymentId: string): StoredEvent {
  return {
    type: 'PaymentInitiated',
    payload: {
      paymentId,
      payerAccountId: 'acct_1',
      merchantAccountId: 'acct_2',
      amount: 1_000,
      currency: 'USD',
      paymentMethod: 'pm_card',
      fee: 30,
      description: null,
    },
    ...c,
    eventId: 'ev_1',
    schemaVersion: 1,
    occurredAt: DAY_1,
    stream: { type: 'payment', tenantId: 'tenant-a', id: paymentId },
    version: 1,
  };
}

async function projected(ports: TestPorts, readModels = new InMemoryReadModels()) {
  const projector = new Projector({ events: ports.events, readModels });
  for (const event of inStreamOrder(ports)) await projector.project(event);
  return readModels;
}

const DAY_1 = '2026-01-01T00:00:00.000Z';
const DAY_1_LATER = '2026-01-01T00:01:00.000Z';
const DAY_2 = '2026-01-02T00:01:00.000Z';

describe('account history rows', () => {
  it('has one row per posting of a plain account, with the posted balance after each', async () => {
    const { ports, alice, bob, topUp, paid, hold } = await twoDays();
    const page = await (await projected(ports)).postings('tenant-a', alice, null, 10);
    const row = (transferId: string, postedAt: string) => ({
      tenantId: 'tenant-a',
      accountId: alice,
      transferId,
      postedAt,
      currency: 'USD',
      pk: `tenant-a#${alice}`,
      sk: `${postedAt}#${transferId}`,
      // The by-tenant-time GSI's keys (ledger exports): a shard of the tenant, and time, transfer, account.
      ledgerPk: expect.stringMatching(/^tenant-a#[0-7]$/),
      ledgerSk: `${postedAt}#${transferId}#${alice}`,
    });
    expect(page).toEqual({
      rows: [
        {
          ...row(topUp, DAY_1),
          type: 'TransferPosted',
          direction: 'credit',
          amount: 10_000,
          counterpartyAccountId: 'settlement-USD',
          postedBalanceAfter: 10_000,
          accountVersion: 2,
        },
        {
          ...row(paid, DAY_1_LATER),
          type: 'TransferPosted',
          direction: 'debit',
          amount: 2_500,
          counterpartyAccountId: bob,
          postedBalanceAfter: 7_500,
          accountVersion: 3,
        },
        {
          ...row(hold, DAY_2),
          type: 'PendingTransferPosted',
          direction: 'debit',
          amount: 1_000,
          counterpartyAccountId: bob,
          postedBalanceAfter: 6_500,
          accountVersion: 5,
        },
      ],
      more: false,
    });
  });

  it("keeps a hot account's postings in one history with the stream each landed on and no running balance", async () => {
    const { ports, bob, paid, hold, payout } = await twoDays();
    const page = await (await projected(ports)).postings('tenant-a', bob, null, 10);
    expect(
      page?.rows.map((r) => [
        r.transferId,
        r.direction,
        r.amount,
        r.stream,
        r.postedBalanceAfter,
        r.accountId,
      ]),
    ).toEqual([
      [paid, 'credit', 2_500, expect.stringMatching(new RegExp(`^${bob}~[01]$`)), null, bob],
      [hold, 'credit', 1_000, expect.stringMatching(new RegExp(`^${bob}~[01]$`)), null, bob],
      [payout, 'debit', 3_000, bob, null, bob],
    ]);
  });

  it('has no row for a leg of another account (a stream never holds one, but the projection checks)', async () => {
    const { ports, alice } = await twoDays();
    const posted = inStreamOrder(ports).find((e) => e.stream.id === alice && e.type === 'TransferPosted');
    if (posted?.type !== 'TransferPosted') throw new Error('no posting');
    const stranger = { ...posted, payload: { ...posted.payload, debitAccountId: 'x', creditAccountId: 'y' } };
    const history = projectionOf('account-history');
    const state = { debitsPosted: 5, creditsPosted: 7 };
    expect(history.apply(state, stranger)).toEqual({ state, changes: [] });
  });
});

describe('daily totals', () => {
  it('counts postings per UTC day from the transfer streams, with deposits and withdrawals apart', async () => {
    const { ports } = await twoDays();
    const readModels = await projected(ports);
    expect(await readModels.dailyTotals('tenant-a', 'USD', '2026-01-01', '2026-01-31')).toEqual([
      {
        day: '2026-01-01',
        currency: 'USD',
        count: 2,
        debits: 12_500,
        credits: 12_500,
        deposits: 10_000,
        withdrawals: 0,
      },
      {
        day: '2026-01-02',
        currency: 'USD',
        count: 2,
        debits: 4_000,
        credits: 4_000,
        deposits: 0,
        withdrawals: 3_000,
      },
    ]);
    expect(await readModels.currencies('tenant-a')).toEqual(['USD']);
    expect(await readModels.currencies('tenant-b')).toEqual([]);
  });
});

describe('account and transfer views', () => {
  it('equal the write side', async () => {
    const { ports, alice, bob, hold, voided } = await twoDays();
    const readModels = await projected(ports);
    expect(await readModels.account('tenant-a', alice)).toEqual(await getAccount(ports, 'tenant-a', alice));
    expect(await readModels.account('tenant-a', bob)).toMatchObject({ status: 'open', shards: 2 });
    for (const id of [hold, voided]) {
      expect(await readModels.transfer('tenant-a', id)).toEqual(await getTransfer(ports, 'tenant-a', id));
    }
  });
});

describe('payment view', () => {
  const initiated = paymentInitiated('pay_1');

  it('lists a payment by tenant and by status, newest first (the guard carries the index keys)', () => {
    const { state } = paymentView.apply(null, initiated);
    expect(state).toMatchObject({ id: 'pay_1', status: 'pending', amount: 1_000, version: 1 });
    expect(paymentView.guardAttributes?.(state)).toEqual({
      listTenant: 'tenant-a',
      listStatus: 'tenant-a#pending',
      listSk: `${DAY_1}#pay_1`,
    });
    expect(paymentView.guardAttributes?.(null)).toEqual({});
    expect(paymentView.guardKey(initiated.stream)).toEqual({ pk: 'tenant-a#pay_1' });
  });

  it('is committed with its index keys', async () => {
    const readModels = new InMemoryReadModels();
    await new Projector({ events: { readStream: async () => [] }, readModels }).project(initiated);
    expect(
      (await readModels.payments('tenant-a', { status: 'pending', after: null, limit: 5 })).rows,
    ).toEqual([expect.objectContaining({ id: 'pay_1' })]);
  });
});

describe('the projector', () => {
  it('knows every read model by name', () => {
    expect(PROJECTIONS.map((p) => p.model).sort()).toEqual([...READ_MODELS].sort());
    for (const model of READ_MODELS) expect(projectionOf(model).model).toBe(model);
  });

  it('says per read model whether it applied, skipped or filled a gap', async () => {
    const { ports, stream } = await aliceStream();
    const [first, second] = stream;
    const last = stream.at(-1);
    if (!first || !second || !last) throw new Error('short stream');
    const projector = new Projector({ events: ports.events, readModels: new InMemoryReadModels() });
    expect(await projector.project(first)).toEqual({
      'account-view': 'applied',
      'account-history': 'applied',
    });
    expect(await projector.project(first)).toEqual({
      'account-view': 'skipped',
      'account-history': 'skipped',
    });
    expect(await projector.project(last)).toEqual({
      'account-view': 'gap-filled',
      'account-history': 'gap-filled',
    });
    expect(await projector.project(second)).toEqual({
      'account-view': 'skipped',
      'account-history': 'skipped',
    });
  });

  it('names the versions it could not find when the event store cannot fill a gap', async () => {
    const { ports, alice } = await twoDays();
    const third = inStreamOrder(ports).find((e) => e.stream.id === alice && e.version === 3);
    if (!third) throw new Error('no third event');
    const missing = new Projector({
      events: { readStream: async () => [] },
      readModels: new InMemoryReadModels(),
    });
    await expect(missing.project(third)).rejects.toThrow(
      new UnfillableGapError(`account#tenant-a#${alice}: versions 1..2 are not all in the event store`),
    );
    // As many events as asked for, but not the versions asked for: a gap all the same.
    const wrong = new Projector({
      events: { readStream: async () => [third, third] },
      readModels: new InMemoryReadModels(),
    });
    await expect(wrong.project(third)).rejects.toBeInstanceOf(UnfillableGapError);
  });

  it('backs off and reads the guard again while it moves, then gives up after eight attempts', async () => {
    const { ports, alice } = await twoDays();
    const first = inStreamOrder(ports).find((e) => e.stream.id === alice);
    if (!first) throw new Error('no event');
    const readModels = new InMemoryReadModels();
    let moves = 3;
    readModels.beforeCommit = (commit) => {
      if (moves-- > 0) throw new GuardMovedError(commit.model, commit.key);
    };
    const readGuard = vi.spyOn(readModels, 'readGuard');
    const backoff = vi.fn(async (_attempt: number) => {});
    const [view] = PROJECTIONS;
    if (!view) throw new Error('no projection');
    expect(await new Projector({ events: ports.events, readModels, backoff }, [view]).project(first)).toEqual(
      {
        'account-view': 'applied',
      },
    );
    expect(backoff.mock.calls).toEqual([[2], [3], [4]]);
    expect(readGuard).toHaveBeenCalledTimes(4);

    readModels.beforeCommit = (commit) => {
      throw new GuardMovedError(commit.model, commit.key);
    };
    backoff.mockClear();
    const second = inStreamOrder(ports).find((e) => e.stream.id === alice && e.version === 2);
    if (!second) throw new Error('no second event');
    await expect(
      new Projector({ events: ports.events, readModels, backoff }, [view]).project(second),
    ).rejects.toThrow(GuardMovedError);
    expect(backoff).toHaveBeenCalledTimes(7);
  });

  it('does not retry a failure that is not a moved guard', async () => {
    const { ports } = await twoDays();
    const [first] = inStreamOrder(ports);
    if (!first) throw new Error('no event');
    const readModels = new InMemoryReadModels();
    readModels.beforeCommit = () => {
      throw new Error('table gone');
    };
    const backoff = vi.fn(async () => {});
    await expect(new Projector({ events: ports.events, readModels, backoff }).project(first)).rejects.toThrow(
      'table gone',
    );
    expect(backoff).not.toHaveBeenCalled();
  });
});

describe('batch projection', () => {
  it('reads no guard for a stream it sees from version 1, unless told that streams may be old', async () => {
    const { ports } = await twoDays();
    const events = inStreamOrder(ports);
    const fresh = new InMemoryReadModels();
    const freshReads = vi.spyOn(fresh, 'readGuard');
    expect((await new Projector({ events: ports.events, readModels: fresh }).projectBatch(events)).size).toBe(
      0,
    );
    expect(freshReads).not.toHaveBeenCalled();

    const again = vi.spyOn(fresh, 'commitBatch');
    const replay = new Projector({ events: ports.events, readModels: fresh }, PROJECTIONS, {
      assumeNewStreams: false,
    });
    expect((await replay.projectBatch(events)).size).toBe(0);
    expect(freshReads).toHaveBeenCalled();
    // Every guard is already at the stream's last version: nothing to commit.
    expect(again.mock.calls).toEqual([[[]]]);
    expect(fresh.dump('account-view')).toBe((await projected(ports)).dump('account-view'));
  });

  it('folds the unseen events of a stream into one commit per read model, filling gaps', async () => {
    const { ports, alice, stream } = await aliceStream();
    const readModels = new InMemoryReadModels();
    const commits: GuardedCommit<unknown>[] = [];
    readModels.beforeCommit = (commit) => commits.push(commit);
    const projector = new Projector({ events: ports.events, readModels });
    await projector.projectBatch(stream.slice(0, 1));
    // Only the last event and a duplicate of the first arrive: versions 2.. are read from the store.
    const failures = await projector.projectBatch([stream.at(-1), stream[0]].filter((e) => e !== undefined));
    expect(failures.size).toBe(0);
    expect(commits.map((k) => [k.model, k.expectedVersion, k.next.version])).toEqual([
      ['account-view', 0, 1],
      ['account-history', 0, 1],
      ['account-view', 1, stream.length],
      ['account-history', 1, stream.length],
    ]);
    expect(commits[3]?.changes).toHaveLength(3); // the deposit, the payment and the posted reservation
    expect(await readModels.account('tenant-a', alice)).toEqual(await getAccount(ports, 'tenant-a', alice));
  });
});

describe('read-model keys (the tables the adapters write)', () => {
  it('put guards in partitions of their own, and totals under the tenant and currency', () => {
    expect(historyGuardKey('tenant-a', 'acct_1~2')).toEqual({ pk: 'guard#tenant-a#acct_1~2', sk: 'guard' });
    expect(totalsGuardKey('tenant-a', 'tr_1')).toEqual({ pk: 'guard#tenant-a#tr_1', sk: 'guard' });
    expect(totalsPartition('tenant-a', 'USD')).toBe('tenant-a#USD');
    expect(currenciesKey('tenant-a')).toEqual({ pk: 'currencies#tenant-a', sk: 'currencies' });
  });

  it('name the guard that moved', () => {
    const moved = new GuardMovedError('account-history', { pk: 'guard#t#a', sk: 'guard' });
    expect(moved.message).toBe('The account-history guard guard#t#a/guard moved; read it again');
    expect(moved.name).toBe('GuardMovedError');
    expect(new GuardMovedError('account-view', { pk: 't#a' }).message).toBe(
      'The account-view guard t#a moved; read it again',
    );
  });
});

describe('the daily totals projection', () => {
  const stream = { type: 'transfer', tenantId: 'tenant-a', id: 'tr_1' } as const;
  const envelope = { ...c, eventId: 'ev_1', schemaVersion: 1, occurredAt: DAY_2, stream, version: 1 };
  const legs = {
    transferId: 'tr_1',
    debitAccountId: 'acct_1',
    creditAccountId: 'settlement-USD',
    currency: 'USD',
  };
  const day = (amount: number, deposits: number, withdrawals: number) => [
    {
      kind: 'add',
      key: { pk: 'tenant-a#USD', sk: '2026-01-02' },
      set: { tenantId: 'tenant-a', currency: 'USD', day: '2026-01-02' },
      add: { count: 1, debits: amount, credits: amount, deposits, withdrawals },
    },
    {
      kind: 'add',
      key: { pk: 'currencies#tenant-a', sk: 'currencies' },
      set: { tenantId: 'tenant-a' },
      add: { currencies: ['USD'] },
    },
  ];

  it('counts a transfer posted at once on its day, and remembers its purpose', () => {
    const posted: StoredEvent = {
      ...envelope,
      type: 'TransferPosted',
      payload: { ...legs, amount: 700, purpose: 'withdrawal', reference: null },
    };
    expect(dailyTotals.apply(null, posted)).toEqual({
      state: { purpose: 'withdrawal' },
      changes: day(700, 0, 700),
    });
  });

  it('counts a reservation only when it is posted, under the purpose it was reserved with', () => {
    const reserved: StoredEvent = {
      ...envelope,
      type: 'TransferPending',
      payload: { ...legs, amount: 900, purpose: 'deposit', reference: null, expiresAt: null },
    };
    const posted: StoredEvent = {
      ...envelope,
      version: 2,
      type: 'PendingTransferPosted',
      payload: { ...legs, pendingAmount: 900, amount: 600 },
    };
    const voided: StoredEvent = {
      ...envelope,
      version: 2,
      type: 'PendingTransferVoided',
      payload: { ...legs, pendingAmount: 900 },
    };
    expect(dailyTotals.apply(null, reserved)).toEqual({ state: { purpose: 'deposit' }, changes: [] });
    expect(dailyTotals.apply({ purpose: 'deposit' }, posted)).toEqual({
      state: { purpose: 'deposit' },
      changes: day(600, 600, 0),
    });
    expect(dailyTotals.apply({ purpose: 'deposit' }, voided)).toEqual({
      state: { purpose: 'deposit' },
      changes: [],
    });
    // A guard written before purposes were kept: a plain transfer.
    expect(dailyTotals.apply(null, posted)).toEqual({ state: null, changes: day(600, 0, 0) });
  });
});

describe('the projector, step by step', () => {
  it('refuses a read model it does not know', () => {
    // JSON.parse stands for a name from outside the type system (a CLI argument).
    expect(() => projectionOf(JSON.parse('"nope"'))).toThrow('Unknown read model nope');
    expect(new UnfillableGapError('x').name).toBe('UnfillableGapError');
  });

  it('reads each guard once and remembers what it committed', async () => {
    const { ports, stream } = await aliceStream();
    const readModels = new InMemoryReadModels();
    const readGuard = vi.spyOn(readModels, 'readGuard');
    const projector = new Projector({ events: ports.events, readModels });
    for (const event of stream) await projector.project(event);
    expect(readGuard).toHaveBeenCalledTimes(2); // account view and account history, once each
  });

  it('remembers a guard it read even when it only skipped an event', async () => {
    const { ports, stream } = await aliceStream();
    const readModels = await projected(ports);
    const readGuard = vi.spyOn(readModels, 'readGuard');
    const [first] = stream;
    if (!first) throw new Error('empty stream');
    const late = new Projector({ events: ports.events, readModels });
    await late.project(first);
    expect(await late.project(first)).toEqual({ 'account-view': 'skipped', 'account-history': 'skipped' });
    expect(readGuard).toHaveBeenCalledTimes(2);
  });

  it('applies the missing events before the one that arrived, so the view equals the write side', async () => {
    const { ports, alice, stream } = await aliceStream();
    const readModels = new InMemoryReadModels();
    const last = stream.at(-1);
    if (!last) throw new Error('empty stream');
    await new Projector({ events: ports.events, readModels }).project(last);
    expect(await readModels.account('tenant-a', alice)).toEqual(await getAccount(ports, 'tenant-a', alice));
    expect((await readModels.postings('tenant-a', alice, null, 10))?.rows).toHaveLength(3);
  });

  it('retries a moved guard without a backoff port', async () => {
    const { ports, stream } = await aliceStream();
    const readModels = new InMemoryReadModels();
    let moves = 1;
    readModels.beforeCommit = (commit) => {
      if (moves-- > 0) throw new GuardMovedError(commit.model, commit.key);
    };
    const [first] = stream;
    if (!first) throw new Error('empty stream');
    expect(await new Projector({ events: ports.events, readModels }).project(first)).toEqual({
      'account-view': 'applied',
      'account-history': 'applied',
    });
  });

  it('refuses a gap filled with events of other versions, even if the first one fits', async () => {
    const { stream } = await aliceStream();
    const [first, , third] = stream;
    if (!first || !third) throw new Error('short stream');
    const projector = new Projector({
      events: { readStream: async () => [first, first] },
      readModels: new InMemoryReadModels(),
    });
    await expect(projector.project(third)).rejects.toBeInstanceOf(UnfillableGapError);
  });
});

describe('batch projection, stream by stream', () => {
  function spied(ports: TestPorts) {
    const readModels = new InMemoryReadModels();
    const readGuard = vi.spyOn(readModels, 'readGuard');
    const readStream = vi.spyOn(ports.events, 'readStream');
    return { readModels, readGuard, readStream };
  }

  it('sorts a stream it received out of order and reads nothing for it', async () => {
    const { ports, alice, stream } = await aliceStream();
    const { readModels, readGuard, readStream } = spied(ports);
    expect(
      (await new Projector({ events: ports.events, readModels }).projectBatch([...stream].reverse())).size,
    ).toBe(0);
    expect(readGuard).not.toHaveBeenCalled();
    expect(readStream).not.toHaveBeenCalled();
    expect(await readModels.account('tenant-a', alice)).toEqual(await getAccount(ports, 'tenant-a', alice));
  });

  it('applies each event once when a batch holds it twice', async () => {
    const { ports, alice, stream } = await aliceStream();
    const { readModels } = spied(ports);
    await new Projector({ events: ports.events, readModels }).projectBatch([...stream, ...stream]);
    expect(await readModels.account('tenant-a', alice)).toEqual(await getAccount(ports, 'tenant-a', alice));
    expect(
      (await readModels.postings('tenant-a', alice, null, 10))?.rows.map((r) => r.postedBalanceAfter),
    ).toEqual([10_000, 7_500, 6_500]);
  });

  it('reads the guard of a stream that starts mid-batch instead of assuming it is new', async () => {
    const { ports, alice, stream } = await aliceStream();
    const { readModels, readStream } = spied(ports);
    await new Projector({ events: ports.events, readModels }).projectBatch(stream.slice(0, 2));
    await new Projector({ events: ports.events, readModels }).projectBatch(stream.slice(2));
    expect(readStream).not.toHaveBeenCalled();
    expect(await readModels.account('tenant-a', alice)).toEqual(await getAccount(ports, 'tenant-a', alice));
  });

  it('redoes a folded commit a rival overtook, event by event', async () => {
    const { ports, alice, stream } = await aliceStream();
    const { readModels } = spied(ports);
    const backoff = vi.fn(async (_attempt: number) => {});
    const ours = new Projector({ events: ports.events, readModels, backoff });
    await ours.projectBatch(stream.slice(0, 1));
    await new Projector({ events: ports.events, readModels }).projectBatch(stream.slice(1, 2));
    expect((await ours.projectBatch(stream.slice(1))).size).toBe(0);
    expect(await readModels.account('tenant-a', alice)).toEqual(await getAccount(ports, 'tenant-a', alice));
    // It forgot the guards it knew were stale, so the redo read them again instead of colliding.
    expect(backoff).not.toHaveBeenCalled();
  });

  it('reports the first version of a stream that cannot apply, having applied those before it', async () => {
    const { ports, alice, stream } = await aliceStream();
    // JSON round trip stands for an item the store could not make sense of.
    const broken = JSON.parse(JSON.stringify({ ...stream[2], type: 'Nonsense' }));
    const { readModels } = spied(ports);
    const failures = await new Projector({ events: ports.events, readModels }).projectBatch([
      ...stream.slice(0, 2),
      broken,
      ...stream.slice(3),
    ]);
    expect([...failures.entries()].map(([key, f]) => [key, f.version])).toEqual([
      [`account#tenant-a#${alice}`, 3],
    ]);
    expect(await readModels.account('tenant-a', alice)).toMatchObject({ version: 2 });
  });

  it('writes the payment view with its index keys', async () => {
    const readModels = new InMemoryReadModels();
    const initiated = paymentInitiated('pay_2');
    await new Projector({ events: { readStream: async () => [] }, readModels }).projectBatch([initiated]);
    expect((await readModels.payments('tenant-a', { after: null, limit: 5 })).rows).toEqual([
      expect.objectContaining({ id: 'pay_2', status: 'pending' }),
    ]);
  });
});
