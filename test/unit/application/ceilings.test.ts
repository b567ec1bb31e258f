import { beforeEach, describe, expect, it } from 'vitest';
import { createTransfer, deposit, openAccount } from '../../../lambdas/application/commands.ts';
import { openDispute } from '../../../lambdas/application/disputes.ts';
import { initiatePayment } from '../../../lambdas/application/payments/commands.ts';
import { getAccount } from '../../../lambdas/application/queries.ts';
import { AmountAboveCeilingError } from '../../../lambdas/domain/ceilings.ts';
import { ledgerConfig } from '../../../lambdas/shared/config.ts';
import { ctx, inMemoryPorts, type TestPorts } from '../../support/in-memory-ports.ts';

const c = ctx('tenant-a');
const big = ctx('tenant-big');
let ports: TestPorts;
let alice: string;
let bob: string;

beforeEach(async () => {
  ports = { ...inMemoryPorts(), ceilings: { defaultMinor: 1_000, perTenant: { 'tenant-big': 5_000 } } };
  alice = (await openAccount(ports, c, { currency: 'USD' })).id;
  bob = (await openAccount(ports, c, { currency: 'USD' })).id;
  await deposit(ports, c, { accountId: alice, amount: 1_000, currency: 'USD' });
});

describe('the per-transfer amount ceiling', () => {
  it('refuses a transfer, deposit or withdrawal above it and writes nothing', async () => {
    const before = ports.events.appendCalls;
    await expect(
      createTransfer(ports, c, {
        debitAccountId: alice,
        creditAccountId: bob,
        amount: 1_001,
        currency: 'USD',
      }),
    ).rejects.toMatchObject({ code: 'amount-above-ceiling', details: { ceiling: 1_000 } });
    await expect(deposit(ports, c, { accountId: bob, amount: 1_001, currency: 'USD' })).rejects.toThrow(
      AmountAboveCeilingError,
    );
    expect(ports.events.appendCalls).toBe(before);
    expect(await getAccount(ports, c.tenantId, bob)).toMatchObject({ creditsPosted: 0 });
    // At the ceiling is allowed.
    await createTransfer(ports, c, {
      debitAccountId: alice,
      creditAccountId: bob,
      amount: 1_000,
      currency: 'USD',
    });
    expect(await getAccount(ports, c.tenantId, bob)).toMatchObject({ creditsPosted: 1_000 });
  });

  it('is the tenant’s own where it was given one', async () => {
    const carol = (await openAccount(ports, big, { currency: 'USD' })).id;
    await deposit(ports, big, { accountId: carol, amount: 5_000, currency: 'USD' });
    await expect(deposit(ports, big, { accountId: carol, amount: 5_001, currency: 'USD' })).rejects.toThrow(
      AmountAboveCeilingError,
    );
  });

  it('refuses a payment above it before anything is recorded (the card is never touched)', async () => {
    const shop = (await openAccount(ports, c, { currency: 'USD', kind: 'merchant' })).id;
    const before = ports.events.appendCalls;
    const pay = {
      payerAccountId: alice,
      merchantAccountId: shop,
      currency: 'USD',
      paymentMethod: 'tok',
      fee: 0,
    };
    await expect(initiatePayment(ports, c, { ...pay, paymentId: 'pay_big', amount: 1_001 })).rejects.toThrow(
      AmountAboveCeilingError,
    );
    expect(ports.events.appendCalls).toBe(before);
    expect((await initiatePayment(ports, c, { ...pay, paymentId: 'pay_ok', amount: 1_000 })).created).toBe(
      true,
    );
  });

  it('never refuses a fact from outside: a dispute above it is booked', async () => {
    const shop = (await openAccount(ports, c, { currency: 'USD', kind: 'merchant' })).id;
    const hold = await openDispute(ports, c, {
      disputeId: 'dp_big',
      merchantAccountId: shop,
      amount: 9_999,
      currency: 'USD',
    });
    expect(hold).toMatchObject({ status: 'pending', amount: 9_999 });
  });
});

describe('ceiling settings', () => {
  // Parsing is tested with the domain (test/unit/domain/ceilings.test.ts); here, the variables the stack sets.
  it('are read from the variables the stack sets', () => {
    const env = { EVENTS_TABLE_NAME: 'e', SNAPSHOTS_TABLE_NAME: 's' };
    expect(
      ledgerConfig({ ...env, LEDGER_AMOUNT_CEILING: '7', LEDGER_TENANT_AMOUNT_CEILINGS: '{"t1":9}' })
        .ceilings,
    ).toEqual({
      defaultMinor: 7,
      perTenant: { t1: 9 },
    });
    expect(() => ledgerConfig({ ...env, LEDGER_AMOUNT_CEILING: '0' })).toThrow(/LEDGER_AMOUNT_CEILING/);
  });
});
