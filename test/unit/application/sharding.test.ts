import { beforeEach, describe, expect, it } from 'vitest';
import {
  closeAccount,
  createTransfer,
  deposit,
  freezeAccount,
  openAccount,
  openTransferStep,
  postTransfer,
  withdraw,
} from '../../../lambdas/application/commands.ts';
import { getAccount, listAccountEvents } from '../../../lambdas/application/queries.ts';
import { LedgerWork } from '../../../lambdas/application/unit-of-work.ts';
import {
  AccountFrozenError,
  AccountNotEmptyError,
  AccountNotFoundError,
  ConcurrencyConflictError,
  InsufficientFundsError,
} from '../../../lambdas/domain/errors.ts';
import { shardOf, shardStreamId } from '../../../lambdas/domain/shards.ts';
import {
  clientAccountId,
  SystemAccountError,
  settlementAccountId,
} from '../../../lambdas/domain/system-ids.ts';
import { accountStreams, ctx, inMemoryPorts, type TestPorts } from '../../support/in-memory-ports.ts';

const c = ctx();
const LAYOUT = { systemShards: 4, hotShards: 4 };
let ports: TestPorts;

beforeEach(() => {
  ports = inMemoryPorts(LAYOUT);
});

/** Two transfer ids whose legs land on different shards of `n` (or the same one, when `same`). */
function twoIds(n: number, same = false): [string, string] {
  const first = 'tr_a';
  for (let i = 0; i < 1000; i++) {
    const other = `tr_b${i}`;
    if ((shardOf(other, n) === shardOf(first, n)) === same) return [first, other];
  }
  throw new Error('no such pair');
}

async function funded(amount: number, kind: 'customer' | 'merchant' = 'customer') {
  const account = await openAccount(ports, c, { currency: 'USD', kind });
  if (amount > 0) await deposit(ports, c, { accountId: account.id, amount, currency: 'USD' });
  return account.id;
}

/** Decides a deposit inside its own work without committing it: a command caught mid-flight. */
async function decidedDeposit(id: string, accountId: string, amount: number): Promise<LedgerWork> {
  const work = new LedgerWork(ports, c);
  const legs = { debitAccountId: settlementAccountId('USD'), creditAccountId: accountId };
  await openTransferStep(work, { id, ...legs, amount, currency: 'USD' }, 'deposit');
  return work;
}

describe('sharded system accounts', () => {
  it('lets deposits whose ids pick different settlement shards commit side by side', async () => {
    const [x, y] = [await funded(0), await funded(0)];
    const [a, b] = twoIds(LAYOUT.systemShards);
    const works = [await decidedDeposit(a, x, 100), await decidedDeposit(b, y, 200)];
    for (const work of works) await work.commit();
    expect((await getAccount(ports, 'tenant-a', settlementAccountId('USD'))).debitsPosted).toBe(300);
  });

  it('still serialises two deposits whose ids pick the same shard (the optimistic lock is per shard)', async () => {
    const [x, y] = [await funded(0), await funded(0)];
    const [a, b] = twoIds(LAYOUT.systemShards, true);
    const works = [await decidedDeposit(a, x, 100), await decidedDeposit(b, y, 200)];
    await works[0]?.commit();
    await expect(works[1]?.commit()).rejects.toThrow(ConcurrencyConflictError);
  });

  it('sums the shards into the settlement account, each shard opening itself on first use', async () => {
    const x = await funded(0);
    for (let i = 0; i < 12; i++) await deposit(ports, c, { accountId: x, amount: 10, currency: 'USD' });
    await withdraw(ports, c, { accountId: x, amount: 25, currency: 'USD' });
    const settlement = await getAccount(ports, 'tenant-a', settlementAccountId('USD'));
    expect(settlement).toMatchObject({
      id: 'settlement-USD',
      kind: 'internal',
      debitsPosted: 120,
      creditsPosted: 25,
    });
    const streams = accountStreams(ports, settlementAccountId('USD'));
    expect(streams.size).toBeGreaterThan(1);
    expect(streams.has(settlementAccountId('USD'))).toBe(false);
    for (const events of streams.values()) expect(events[0]?.type).toBe('AccountOpened');
  });

  it('opens a shard only when a leg lands on it: a retried deposit opens nothing', async () => {
    const x = await funded(0);
    await deposit(ports, c, { id: 'tr_1', accountId: x, amount: 5, currency: 'USD' });
    const stored = ports.events.all().length;
    const streams = ports.events.streams.size;
    // More shards now: the retry's id picks a shard nobody opened, but the transfer is already there.
    const wider = { ...ports, shards: { systemShards: 64, hotShards: 4 } };
    expect(shardOf('tr_1', 64)).not.toBe(shardOf('tr_1', LAYOUT.systemShards));
    await deposit(wider, c, { id: 'tr_1', accountId: x, amount: 5, currency: 'USD' });
    expect([ports.events.all().length, ports.events.streams.size]).toEqual([stored, streams]);
  });

  it('keeps the sum exact when N is raised between a reservation and its post', async () => {
    const x = await funded(0);
    await deposit(ports, c, { accountId: x, amount: 100, currency: 'USD' });
    const id = 'tr_reserve';
    const legs = { debitAccountId: x, creditAccountId: settlementAccountId('USD') };
    await createTransfer(ports, c, { id, ...legs, amount: 60, currency: 'USD', pending: true });
    const wider = { ...ports, shards: { systemShards: 64, hotShards: 4 } };
    expect(shardOf(id, 64)).not.toBe(shardOf(id, LAYOUT.systemShards));
    await postTransfer(wider, c, { transferId: id, amount: 50 });
    const settlement = await getAccount(wider, 'tenant-a', settlementAccountId('USD'));
    expect(settlement).toMatchObject({ creditsPending: 0, creditsPosted: 50, debitsPosted: 100 });
  });

  it("lists a system account's events shard by shard, loading only its main stream to find them", async () => {
    const x = await funded(0);
    for (let i = 0; i < 6; i++) await deposit(ports, c, { accountId: x, amount: 1, currency: 'USD' });
    const loads: string[] = [];
    const snapshots = ports.snapshots;
    const counting = {
      ...ports,
      snapshots: {
        get: <S>(stream: { id: string }, reducerVersion: number) => {
          loads.push(stream.id);
          return snapshots.get<S>(stream as never, reducerVersion);
        },
        put: snapshots.put.bind(snapshots),
      },
    };
    const all: string[] = [];
    let after = { stream: 0, version: 0 };
    for (let more = true; more; ) {
      const page = await listAccountEvents(counting, 'tenant-a', settlementAccountId('USD'), after, 2);
      all.push(...page.events.map((e) => `${e.stream.id}@${e.version}`));
      ({ more } = page);
      after = page.last;
    }
    const expected = [...accountStreams(ports, settlementAccountId('USD')).entries()]
      .sort(([a], [b]) => Number(a.split('~')[1]) - Number(b.split('~')[1]))
      .flatMap(([id, events]) => events.map((e) => `${id}@${e.version}`));
    expect(all).toEqual(expected);
    expect(new Set(loads)).toEqual(new Set([settlementAccountId('USD')]));
    await expect(
      listAccountEvents(ports, 'tenant-a', settlementAccountId('EUR'), { stream: 0, version: 0 }, 2),
    ).rejects.toThrow(AccountNotFoundError);
  });

  it('refuses a shard stream id where a client names an account', () => {
    expect(() => clientAccountId(shardStreamId(settlementAccountId('USD'), 3))).toThrow(SystemAccountError);
    expect(() => clientAccountId(shardStreamId('acct_1', 0))).toThrow(SystemAccountError);
  });
});

describe('hot client accounts', () => {
  it('opens a merchant with its replicas in one append, each carrying the opening', async () => {
    const merchant = await funded(0, 'merchant');
    const streams = accountStreams(ports, merchant);
    expect([...streams.keys()]).toEqual([merchant, ...[0, 1, 2, 3].map((k) => shardStreamId(merchant, k))]);
    for (const events of streams.values()) expect(events.map((e) => e.type)).toEqual(['AccountOpened']);
    expect(ports.events.appendCalls).toBe(1);
  });

  it('lets two credits to one merchant commit side by side, and checks a debit against all of them', async () => {
    const merchant = await funded(0, 'merchant');
    const [a, b] = twoIds(LAYOUT.hotShards);
    // Different settlement shards too, so only the merchant could make them meet.
    expect(shardOf(a, LAYOUT.systemShards)).not.toBe(shardOf(b, LAYOUT.systemShards));
    const works = [await decidedDeposit(a, merchant, 300), await decidedDeposit(b, merchant, 200)];
    for (const work of works) await work.commit();
    expect(accountStreams(ports, merchant).get(merchant)?.length).toBe(1); // credits never touch main

    const refused = withdraw(ports, c, { accountId: merchant, amount: 501, currency: 'USD' });
    await expect(refused).rejects.toThrow(InsufficientFundsError);
    await expect(refused).rejects.toMatchObject({ details: { available: 500 } });
    await withdraw(ports, c, { accountId: merchant, amount: 500, currency: 'USD' });
    expect(await getAccount(ports, 'tenant-a', merchant)).toMatchObject({
      creditsPosted: 500,
      debitsPosted: 500,
      shards: 4,
    });
  });

  it('freezes every replica: a later credit is refused, and one decided before the freeze conflicts', async () => {
    const merchant = await funded(0, 'merchant');
    const inFlight = await decidedDeposit('tr_before', merchant, 100);
    await freezeAccount(ports, c, { accountId: merchant, reason: 'review' });
    for (const events of accountStreams(ports, merchant).values()) {
      expect(events.at(-1)?.type).toBe('AccountFrozen');
    }
    await expect(inFlight.commit()).rejects.toThrow(ConcurrencyConflictError);
    await expect(deposit(ports, c, { accountId: merchant, amount: 1, currency: 'USD' })).rejects.toThrow(
      AccountFrozenError,
    );
  });

  it('closes only when the whole account, replicas included, holds nothing', async () => {
    const merchant = await funded(40, 'merchant');
    expect(accountStreams(ports, merchant).get(merchant)?.length).toBe(1);
    await expect(closeAccount(ports, c, { accountId: merchant })).rejects.toThrow(AccountNotEmptyError);
    await withdraw(ports, c, { accountId: merchant, amount: 40, currency: 'USD' });
    expect(await closeAccount(ports, c, { accountId: merchant })).toMatchObject({ status: 'closed' });
  });

  it('reads only the replica for a credit to a hot account the container has seen', async () => {
    const remembering = { ...ports, hotAccounts: new Map<string, number>() };
    const merchant = (await openAccount(remembering, c, { currency: 'USD', kind: 'merchant' })).id;
    const reads: string[] = [];
    const events = ports.events;
    const counting = {
      ...remembering,
      events: { readStream: events.readStream.bind(events), append: events.append.bind(events) },
    };
    counting.events.readStream = (stream, from, to) => {
      reads.push(stream.id);
      return events.readStream(stream, from, to);
    };
    await deposit(counting, c, { id: 'tr_1', accountId: merchant, amount: 5, currency: 'USD' });
    expect(reads).toContain(merchant);
    reads.length = 0;
    await deposit(counting, c, { id: 'tr_2', accountId: merchant, amount: 5, currency: 'USD' });
    expect(reads).not.toContain(merchant);
    expect(reads).toContain(shardStreamId(merchant, shardOf('tr_2', LAYOUT.hotShards)));
    expect((await getAccount(ports, 'tenant-a', merchant)).creditsPosted).toBe(10);
  });

  it('opens no replicas for a merchant whose limits leave no side that only helps', async () => {
    const flags = { debitsMustNotExceedCredits: false };
    const merchant = await openAccount(ports, c, { currency: 'USD', kind: 'merchant', flags });
    expect(merchant.shards).toBe(0);
    expect(accountStreams(ports, merchant.id).size).toBe(1);
  });

  it('keeps customers plain unless asked', async () => {
    const customer = await funded(10);
    expect(accountStreams(ports, customer).size).toBe(1);
    expect((await getAccount(ports, 'tenant-a', customer)).shards).toBe(0);
  });
});

describe('a system account with a limit', () => {
  it('is refused: its shards would need coordination', async () => {
    const x = await funded(0);
    const stream = shardStreamId(settlementAccountId('USD'), shardOf('tr_limited', LAYOUT.systemShards));
    await ports.events.append([
      {
        stream: { type: 'account', tenantId: 'tenant-a', id: stream },
        expectedVersion: 0,
        events: [
          {
            type: 'AccountOpened',
            payload: {
              accountId: settlementAccountId('USD'),
              currency: 'USD',
              kind: 'internal',
              flags: { debitsMustNotExceedCredits: true, creditsMustNotExceedDebits: false },
            },
            eventId: 'evt_x',
            schemaVersion: 1,
            occurredAt: '2026-01-01T00:00:00.000Z',
            ...c,
          },
        ],
      },
    ]);
    const attempt = deposit(ports, c, { id: 'tr_limited', accountId: x, amount: 1, currency: 'USD' });
    await expect(attempt).rejects.toThrow(/carries a limit/);
  });
});
