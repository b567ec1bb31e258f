import { beforeEach, describe, expect, it } from 'vitest';
import { deposit, freezeAccount, openAccount, withdraw } from '../../../lambdas/application/commands.ts';
import { loseDispute, openDispute } from '../../../lambdas/application/disputes.ts';
import { getAccount } from '../../../lambdas/application/queries.ts';
import { availableBalance } from '../../../lambdas/domain/account.ts';
import { AccountFrozenError, InsufficientFundsError } from '../../../lambdas/domain/errors.ts';
import { disputesAccountId } from '../../../lambdas/domain/system-ids.ts';
import { ctx, inMemoryPorts, type TestPorts } from '../../support/in-memory-ports.ts';

let ports: TestPorts;
let merchant: string;
const c = ctx();
const dispute = () => ({ disputeId: 'dp_1', merchantAccountId: merchant, amount: 300, currency: 'USD' });

beforeEach(async () => {
  ports = inMemoryPorts();
  merchant = (await openAccount(ports, c, { currency: 'USD', kind: 'merchant' })).id;
});

describe('the disputes account', () => {
  it('opens itself in the same atomic write as the first hold', async () => {
    await deposit(ports, c, { accountId: merchant, amount: 1_000, currency: 'USD' });
    const before = ports.events.appendCalls;
    const hold = await openDispute(ports, c, dispute());
    expect(ports.events.appendCalls).toBe(before + 1);
    expect(hold).toMatchObject({ status: 'pending', creditAccountId: 'disputes-USD', amount: 300 });
    expect(await getAccount(ports, c.tenantId, disputesAccountId('USD'))).toMatchObject({
      kind: 'internal',
      creditsPending: 300,
      version: 2,
    });
  });

  it('opens with a hold the merchant cannot cover: the processor already took the money', async () => {
    await openDispute(ports, c, dispute());
    expect(await getAccount(ports, c.tenantId, disputesAccountId('USD'))).toMatchObject({
      creditsPending: 300,
    });
  });
});

describe('a dispute is a fact from outside', () => {
  it('is booked when the merchant holds less than the amount: its available balance goes negative', async () => {
    await deposit(ports, c, { accountId: merchant, amount: 100, currency: 'USD' });
    const hold = await openDispute(ports, c, dispute());
    expect(hold).toMatchObject({ status: 'pending', amount: 300 });
    expect(availableBalance(await getAccount(ports, c.tenantId, merchant))).toBe(-200);
    const events = await ports.events.readStream({ type: 'transfer', tenantId: c.tenantId, id: hold.id });
    expect(events.map((e) => ('overrode' in e.payload ? e.payload.overrode : undefined))).toEqual([
      ['insufficient-funds'],
    ]);
    // Clients still cannot take what is not there.
    const attempt = withdraw(ports, c, { accountId: merchant, amount: 1, currency: 'USD' });
    await expect(attempt).rejects.toThrow(InsufficientFundsError);
  });

  it('is booked and lost on a frozen merchant, and says so on its events', async () => {
    await freezeAccount(ports, c, { accountId: merchant, reason: 'review' });
    await openDispute(ports, c, dispute());
    const lost = await loseDispute(ports, c, { disputeId: 'dp_1' });
    expect(lost).toMatchObject({ status: 'posted', postedAmount: 300 });
    expect(await getAccount(ports, c.tenantId, merchant)).toMatchObject({
      status: 'frozen',
      debitsPosted: 300,
    });
    const events = await ports.events.readStream({ type: 'account', tenantId: c.tenantId, id: merchant });
    const legs = events.filter((e) => e.type === 'TransferPending' || e.type === 'PendingTransferPosted');
    expect(legs.map((e) => [e.type, 'fact' in e.payload && e.payload.fact])).toEqual([
      ['TransferPending', true],
      ['PendingTransferPosted', true],
    ]);
    // The rules it was booked over are named on the events: the projector alarms on them.
    expect(legs.map((e) => ('overrode' in e.payload ? e.payload.overrode : undefined))).toEqual([
      ['account-frozen', 'insufficient-funds'],
      ['account-frozen'],
    ]);
    // A client's own transfer out of the frozen merchant is still refused.
    await expect(withdraw(ports, c, { accountId: merchant, amount: 1, currency: 'USD' })).rejects.toThrow(
      AccountFrozenError,
    );
  });
});
