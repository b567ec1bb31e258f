import { describe, expect, it } from 'vitest';
import { deposit, openAccount } from '../../../lambdas/application/commands.ts';
import { getAccountAsOf } from '../../../lambdas/application/queries.ts';
import { ctx, inMemoryPorts, ManualClock } from '../../support/in-memory-ports.ts';

/** A clock that moves a millisecond on every read, as a busy real clock may. */
class TickingClock extends ManualClock {
  override now(): Date {
    this.advance(0.001);
    return super.now();
  }
}

describe('the unit of work', () => {
  it("stamps a transfer's legs with the transfer's own instant, so time travel to it includes them", async () => {
    const ports = { ...inMemoryPorts(), clock: new TickingClock() };
    const c = ctx();
    const account = await openAccount(ports, c, { currency: 'USD' });
    const transfer = await deposit(ports, c, { accountId: account.id, amount: 100, currency: 'USD' });
    const stream = { type: 'account' as const, tenantId: c.tenantId, id: account.id };
    const [, leg] = await ports.events.readStream(stream);
    expect(leg?.occurredAt).toBe(transfer.createdAt);
    const asOf = await getAccountAsOf(ports, c.tenantId, account.id, { time: transfer.createdAt });
    expect(asOf).toMatchObject({ version: 2, creditsPosted: 100 });
  });
});
