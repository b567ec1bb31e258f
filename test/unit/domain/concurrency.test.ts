import { describe, expect, it } from 'vitest';
import { createTransfer, deposit, openAccount, withdraw } from '../../../lambdas/application/commands.ts';
import { getAccount } from '../../../lambdas/application/queries.ts';
import { retryOnConflict } from '../../../lambdas/application/retry.ts';
import { availableBalance } from '../../../lambdas/domain/account.ts';
import { ConcurrencyConflictError, InsufficientFundsError } from '../../../lambdas/domain/errors.ts';
import { ctx, inMemoryPorts } from '../../support/in-memory-ports.ts';

const noWait = async () => {};

describe('optimistic concurrency', () => {
  it('turns a write against a stale version into a conflict that names the stream', async () => {
    const ports = inMemoryPorts();
    const c = ctx();
    const account = await openAccount(ports, c, { currency: 'USD' });
    await deposit(ports, c, { accountId: account.id, amount: 100, currency: 'USD' });
    // Simulate a racer: its load happens before our write lands.
    const realRead = ports.events.readStream.bind(ports.events);
    let raced = false;
    ports.events.readStream = async (stream, from) => {
      const events = await realRead(stream, from);
      if (!raced && stream.id === account.id) {
        raced = true;
        await deposit(ports, c, { accountId: account.id, amount: 1, currency: 'USD' });
      }
      return events;
    };
    const attempt = withdraw(ports, c, { accountId: account.id, amount: 10, currency: 'USD' });
    await expect(attempt).rejects.toThrow(ConcurrencyConflictError);
    await expect(attempt).rejects.toMatchObject({
      streams: expect.arrayContaining([`account#tenant-a#${account.id}`]),
    });
  });

  it('lets eight racing writers on one account all commit by reloading and deciding again', async () => {
    const ports = inMemoryPorts();
    const c = ctx();
    const payer = await openAccount(ports, c, { currency: 'USD' });
    await deposit(ports, c, { accountId: payer.id, amount: 800, currency: 'USD' });
    const payees = await Promise.all(
      Array.from({ length: 8 }, () => openAccount(ports, c, { currency: 'USD' })),
    );
    const results = await Promise.all(
      payees.map((payee) =>
        retryOnConflict(
          () =>
            createTransfer(ports, c, {
              debitAccountId: payer.id,
              creditAccountId: payee.id,
              amount: 100,
              currency: 'USD',
            }),
          { maxAttempts: 10, wait: () => new Promise((r) => setImmediate(r)) },
        ),
      ),
    );
    expect(results).toHaveLength(8);
    expect(availableBalance(await getAccount(ports, 'tenant-a', payer.id))).toBe(0);
  });

  it('never overdraws under a race: the loser reloads and is refused for insufficient funds', async () => {
    const ports = inMemoryPorts();
    const c = ctx();
    const payer = await openAccount(ports, c, { currency: 'USD' });
    await deposit(ports, c, { accountId: payer.id, amount: 100, currency: 'USD' });
    const outcomes = await Promise.allSettled(
      [1, 2].map(() =>
        retryOnConflict(() => withdraw(ports, c, { accountId: payer.id, amount: 80, currency: 'USD' }), {
          maxAttempts: 5,
          wait: noWait,
        }),
      ),
    );
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
    const rejected = outcomes.find((o) => o.status === 'rejected');
    expect(rejected?.status === 'rejected' && rejected.reason).toBeInstanceOf(InsufficientFundsError);
    expect(availableBalance(await getAccount(ports, 'tenant-a', payer.id))).toBe(20);
  });

  it('gives up after the bounded number of attempts and rethrows the conflict', async () => {
    let calls = 0;
    const always = () => {
      calls++;
      return Promise.reject(new ConcurrencyConflictError(['account#t#a']));
    };
    await expect(retryOnConflict(always, { maxAttempts: 3, wait: noWait })).rejects.toThrow(
      ConcurrencyConflictError,
    );
    expect(calls).toBe(3);
  });

  it('does not retry rule violations', async () => {
    let calls = 0;
    const refuse = () => {
      calls++;
      return Promise.reject(new InsufficientFundsError('a', 0, 1));
    };
    await expect(retryOnConflict(refuse, { maxAttempts: 3, wait: noWait })).rejects.toThrow(
      InsufficientFundsError,
    );
    expect(calls).toBe(1);
  });
});
