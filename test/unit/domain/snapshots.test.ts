import { describe, expect, it, vi } from 'vitest';
import { deposit, openAccount } from '../../../lambdas/application/commands.ts';
import { getAccount } from '../../../lambdas/application/queries.ts';
import { SNAPSHOT_EVERY } from '../../../lambdas/application/repository.ts';
import { ACCOUNT_REDUCER_VERSION, evolveAccount } from '../../../lambdas/domain/account.ts';
import { ctx, inMemoryPorts } from '../../support/in-memory-ports.ts';

async function accountWithEvents(count: number) {
  const ports = inMemoryPorts();
  const c = ctx();
  const account = await openAccount(ports, c, { currency: 'USD' });
  for (let i = 1; i < count; i++)
    await deposit(ports, c, { accountId: account.id, amount: 1, currency: 'USD' });
  return {
    ports,
    id: account.id,
    stream: { type: 'account' as const, tenantId: 'tenant-a', id: account.id },
  };
}

describe('snapshots', () => {
  it(`keeps a snapshot every ${SNAPSHOT_EVERY} events, stamped with the reducer version`, async () => {
    const { ports, stream } = await accountWithEvents(SNAPSHOT_EVERY + 5);
    const snapshot = await ports.snapshots.get(stream, ACCOUNT_REDUCER_VERSION);
    expect(snapshot).toMatchObject({ version: SNAPSHOT_EVERY, reducerVersion: ACCOUNT_REDUCER_VERSION });
  });

  it('loads from the snapshot and reads only the events after it, with the same result as a replay', async () => {
    const { ports, id, stream } = await accountWithEvents(SNAPSHOT_EVERY + 5);
    const read = vi.spyOn(ports.events, 'readStream');
    const account = await getAccount(ports, 'tenant-a', id);
    expect(read).toHaveBeenCalledWith(stream, SNAPSHOT_EVERY + 1);
    const replay = (await ports.events.readStream(stream)).reduce(evolveAccount, null);
    expect(account).toEqual(replay);
    expect(account.creditsPosted).toBe(SNAPSHOT_EVERY + 4);
  });

  it('ignores a snapshot written by another reducer version', async () => {
    const { ports, id, stream } = await accountWithEvents(SNAPSHOT_EVERY + 5);
    const real = await ports.snapshots.get(stream, ACCOUNT_REDUCER_VERSION);
    ports.snapshots.snapshots.clear();
    // A snapshot from an older reducer, with a state the current reducer would never produce.
    await ports.snapshots.put({
      ...real,
      stream,
      version: SNAPSHOT_EVERY,
      reducerVersion: 0,
      state: { bogus: true },
    });
    const read = vi.spyOn(ports.events, 'readStream');
    const account = await getAccount(ports, 'tenant-a', id);
    expect(read).toHaveBeenCalledWith(stream, 1);
    expect(account.creditsPosted).toBe(SNAPSHOT_EVERY + 4);
  });

  it('does not fail a command whose events landed when the snapshot write fails', async () => {
    const { ports, id } = await accountWithEvents(SNAPSHOT_EVERY - 1);
    ports.snapshots.put = () => Promise.reject(new Error('throttled'));
    await expect(deposit(ports, ctx(), { accountId: id, amount: 1, currency: 'USD' })).resolves.toMatchObject(
      {
        status: 'posted',
      },
    );
  });
});
