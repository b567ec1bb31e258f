import { describe, expect, it } from 'vitest';
import { MemoryLoadCache } from '../../../lambdas/adapters/memory-load-cache.ts';
import { createTransfer, deposit, openAccount } from '../../../lambdas/application/commands.ts';
import { LOAD_PAGE, load, loadAccount, SNAPSHOT_EVERY } from '../../../lambdas/application/repository.ts';
import { retryOnConflict } from '../../../lambdas/application/retry.ts';
import { COMMAND_CONFLICT_RETRY, withLoadCache } from '../../../lambdas/composition/ledger.ts';
import { ACCOUNT, ACCOUNT_REDUCER_VERSION, evolveAccount } from '../../../lambdas/domain/account.ts';
import type { StoredEvent, StreamRef } from '../../../lambdas/domain/events.ts';
import { streamKey } from '../../../lambdas/domain/events.ts';
import type { LedgerPorts, Snapshot } from '../../../lambdas/domain/ports.ts';
import { ctx, InMemoryEventStore, inMemoryPorts, type TestPorts } from '../../support/in-memory-ports.ts';

/** The in-memory store with the optional backwards read, counting every read and what it returned. */
class CountingStore extends InMemoryEventStore {
  readonly reads: Array<{ call: string; stream: string; after: number; events: number }> = [];

  override async readStream(stream: StreamRef, from = 1, to?: number): Promise<StoredEvent[]> {
    const events = await super.readStream(stream, from, to);
    this.reads.push({
      call: 'readStream',
      stream: streamKey(stream),
      after: from - 1,
      events: events.length,
    });
    return events;
  }

  async readNewest(stream: StreamRef, count: number, afterVersion = 0): Promise<StoredEvent[]> {
    const all = await super.readStream(stream, afterVersion + 1);
    const events = all.slice(-count);
    this.reads.push({
      call: 'readNewest',
      stream: streamKey(stream),
      after: afterVersion,
      events: events.length,
    });
    return events;
  }

  readsOf(stream: StreamRef) {
    return this.reads.filter((read) => read.stream === streamKey(stream));
  }
}

function countingPorts(): TestPorts & { readonly events: CountingStore } {
  return { ...inMemoryPorts(), events: new CountingStore() };
}

const c = ctx();
const streamOf = (id: string): StreamRef => ({ type: 'account', tenantId: c.tenantId, id });

async function accountWith(ports: LedgerPorts, deposits: number): Promise<StreamRef> {
  const account = await openAccount(ports, c, { currency: 'USD' });
  for (let i = 0; i < deposits; i++)
    await deposit(ports, c, { accountId: account.id, amount: 1, currency: 'USD' });
  return streamOf(account.id);
}

describe('load', () => {
  /** Ports whose snapshot store counts its lookups (and keeps the container's recent states, if given one). */
  function lookupsCounted(ports: TestPorts & { readonly events: CountingStore }, recent?: MemoryLoadCache) {
    const lookups: string[] = [];
    const snapshots = {
      get: async <S>(stream: StreamRef, reducerVersion: number) => {
        lookups.push(stream.id);
        return ports.snapshots.get<S>(stream, reducerVersion);
      },
      put: <S>(snapshot: Snapshot<S>) => ports.snapshots.put(snapshot),
      ...(recent ? { recent } : {}),
    };
    return { ports: { events: ports.events, snapshots }, lookups };
  }

  it('looks up no snapshot when the newest page is the whole stream (full, short or empty)', async () => {
    const counted = countingPorts();
    const short = await accountWith(counted, 3);
    const page = await accountWith(counted, LOAD_PAGE - 1);
    const { ports, lookups } = lookupsCounted(counted);

    expect((await loadAccount(ports, c.tenantId, short.id)).version).toBe(4);
    expect((await loadAccount(ports, c.tenantId, page.id)).version).toBe(LOAD_PAGE);
    expect((await loadAccount(ports, c.tenantId, 'acct_none')).version).toBe(0);
    expect(lookups).toEqual([]);
  });

  it('looks the snapshot up after a full page that does not reach version 1', async () => {
    const counted = countingPorts();
    const stream = await accountWith(counted, SNAPSHOT_EVERY + 10);
    const { ports, lookups } = lookupsCounted(counted);

    const loaded = await loadAccount(ports, c.tenantId, stream.id);

    expect(loaded).toMatchObject({ version: SNAPSHOT_EVERY + 11, snapshotVersion: SNAPSHOT_EVERY });
    expect(lookups).toEqual([stream.id]);
  });

  it("starts from the container's recent state: only the events after it, and no snapshot", async () => {
    const counted = countingPorts();
    const stream = await accountWith(counted, SNAPSHOT_EVERY + 10);
    const recent = new MemoryLoadCache({ limit: 2 });
    const { ports, lookups } = lookupsCounted(counted, recent);
    await loadAccount(ports, c.tenantId, stream.id);
    await deposit(counted, c, { accountId: stream.id, amount: 5, currency: 'USD' });
    counted.events.reads.length = 0;
    lookups.length = 0;

    const loaded = await loadAccount(ports, c.tenantId, stream.id);
    const reads = counted.events.readsOf(stream);

    const replay = (await counted.events.readStream(stream)).reduce(evolveAccount, null);
    expect(loaded).toMatchObject({ version: SNAPSHOT_EVERY + 12, snapshotVersion: SNAPSHOT_EVERY });
    expect(loaded.state).toEqual(replay);
    expect(lookups).toEqual([]);
    expect(reads).toEqual([
      { call: 'readNewest', stream: streamKey(stream), after: SNAPSHOT_EVERY + 11, events: 1 },
    ]);
    expect(recent.get(stream, ACCOUNT_REDUCER_VERSION)).toEqual(loaded);
  });

  it('reads a short stream with no snapshot in one read, backwards from the head', async () => {
    const ports = countingPorts();
    const stream = await accountWith(ports, 3);
    ports.events.reads.length = 0;

    const loaded = await loadAccount(ports, c.tenantId, stream.id);

    expect(loaded).toMatchObject({ version: 4, snapshotVersion: 0, state: { creditsPosted: 3 } });
    expect(ports.events.reads).toEqual([
      { call: 'readNewest', stream: streamKey(stream), after: 0, events: 4 },
    ]);
  });

  it('reads the events between an old snapshot and the newest page only when the page does not reach it', async () => {
    const ports = countingPorts();
    const stream = await accountWith(ports, LOAD_PAGE + 20);
    const replay = (await ports.events.readStream(stream)).reduce(evolveAccount, null);
    ports.snapshots.snapshots.clear();
    ports.events.reads.length = 0;

    const loaded = await loadAccount(ports, c.tenantId, stream.id);

    expect(loaded.state).toEqual(replay);
    expect(loaded.version).toBe(LOAD_PAGE + 21);
    expect(ports.events.reads).toEqual([
      { call: 'readNewest', stream: streamKey(stream), after: 0, events: LOAD_PAGE },
      { call: 'readStream', stream: streamKey(stream), after: 0, events: 21 },
    ]);
  });

  it('needs no second read when the snapshot is within the newest page', async () => {
    const ports = countingPorts();
    const stream = await accountWith(ports, SNAPSHOT_EVERY + 10);
    const replay = (await ports.events.readStream(stream)).reduce(evolveAccount, null);
    ports.events.reads.length = 0;

    const loaded = await loadAccount(ports, c.tenantId, stream.id);

    expect(loaded).toMatchObject({ version: SNAPSHOT_EVERY + 11, snapshotVersion: SNAPSHOT_EVERY });
    expect(loaded.state).toEqual(replay);
    expect(ports.events.reads.map((read) => read.call)).toEqual(['readNewest']);
  });

  it('brings a stream it loaded before up to date from the version it had, without the snapshot', async () => {
    const ports = countingPorts();
    const stream = await accountWith(ports, 2);
    const cache = new MemoryLoadCache();
    await load(ports, ACCOUNT, stream, cache);
    await deposit(ports, c, { accountId: stream.id, amount: 5, currency: 'USD' });
    ports.events.reads.length = 0;
    let snapshotReads = 0;
    const snapshots = {
      get: async () => {
        snapshotReads++;
        return null;
      },
      put: async () => {},
    };

    const loaded = await load({ events: ports.events, snapshots }, ACCOUNT, stream, cache);

    expect(loaded).toMatchObject({ version: 4, state: { creditsPosted: 7 } });
    expect(snapshotReads).toBe(0);
    expect(ports.events.reads).toEqual([
      { call: 'readNewest', stream: streamKey(stream), after: 3, events: 1 },
    ]);
    expect(cache.get(stream, ACCOUNT_REDUCER_VERSION)).toEqual(loaded);
  });
});

describe('a conflict retry with a load cache', () => {
  it('re-reads only the events after the versions the first attempt had', async () => {
    const ports = countingPorts();
    const payer = await accountWith(ports, 3);
    const payee = await accountWith(ports, 0);
    let raced = false;
    const readNewest = ports.events.readNewest.bind(ports.events);
    ports.events.readNewest = async (stream, count, after) => {
      const events = await readNewest(stream, count, after);
      if (!raced && stream.id === payer.id) {
        // Another writer lands on the payer right after this attempt loaded it.
        raced = true;
        await deposit(ports, c, { accountId: payer.id, amount: 1, currency: 'USD' });
      }
      return events;
    };
    ports.events.reads.length = 0;
    let attempts = 0;

    await retryOnConflict(
      (loadCache) => {
        attempts++;
        return createTransfer({ ...ports, loadCache }, c, {
          debitAccountId: payer.id,
          creditAccountId: payee.id,
          amount: 1,
          currency: 'USD',
        });
      },
      { maxAttempts: 2, wait: async () => {}, loadCache: () => new MemoryLoadCache() },
    );

    expect(attempts).toBe(2);
    // The conflict named the payer only: the new transfer's own stream is never read.
    expect(ports.events.reads.filter((read) => read.stream.startsWith('transfer#'))).toEqual([]);
    const second = (stream: StreamRef) => ports.events.readsOf(stream).filter((read) => read.after > 0);
    // The payee did not move: its second read starts at its version and finds nothing.
    expect(second(payee)).toEqual([{ call: 'readNewest', stream: streamKey(payee), after: 1, events: 0 }]);
    // The payer moved by the racing deposit: its second read is that one event.
    expect(second(payer).at(-1)).toEqual({
      call: 'readNewest',
      stream: streamKey(payer),
      after: 4,
      events: 1,
    });
  });
});

describe("the API's conflict retry policy", () => {
  it('gives every command a fresh load cache of its own', () => {
    const first = COMMAND_CONFLICT_RETRY.loadCache?.();
    const ports = inMemoryPorts();

    expect(first).toBeInstanceOf(MemoryLoadCache);
    expect(COMMAND_CONFLICT_RETRY.loadCache?.()).not.toBe(first);
    expect(withLoadCache(ports).loadCache).toBeInstanceOf(MemoryLoadCache);
    expect(withLoadCache(ports).loadCache).not.toBe(withLoadCache(ports).loadCache);
  });
});
