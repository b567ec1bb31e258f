import { beforeEach, describe, expect, it, vi } from 'vitest';
import { openAccount } from '../../../lambdas/application/commands.ts';
import { initiatePayment } from '../../../lambdas/application/payments/commands.ts';
import { paymentStep } from '../../../lambdas/application/payments/step.ts';
import { PaymentNotFoundError, PaymentStateError } from '../../../lambdas/domain/payments/errors.ts';
import type { PaymentState } from '../../../lambdas/domain/payments/payment.ts';
import { ctx, inMemoryPorts, type TestPorts } from '../../support/in-memory-ports.ts';

let ports: TestPorts;
const c = ctx();

beforeEach(async () => {
  ports = inMemoryPorts();
  const shop = await openAccount(ports, c, { currency: 'USD', kind: 'merchant' });
  await initiatePayment(ports, c, {
    paymentId: 'pay_1',
    payerAccountId: 'payer',
    merchantAccountId: shop.id,
    amount: 1_000,
    currency: 'USD',
    paymentMethod: 'tok',
    fee: 0,
  });
});

const reserveSpec = () => ({
  isDone: (p: PaymentState) => p.reserveTransferId !== null,
  decide: vi.fn((p: PaymentState) => [
    { type: 'FundsReserved' as const, payload: { paymentId: p.id, transferId: 't' } },
  ]),
  verify: vi.fn(),
});
const reserve = () => paymentStep(reserveSpec());

describe('the payment step runner', () => {
  it('decides, appends in one write and returns the new state', async () => {
    const step = reserve();
    const before = ports.events.appendCalls;
    const payment = await step(ports, c, { paymentId: 'pay_1' });
    expect(payment).toMatchObject({ status: 'reserved', reserveTransferId: 't', version: 2 });
    expect(ports.events.appendCalls).toBe(before + 1);
  });

  it('returns a step that is done already without deciding or writing, and still verifies it', async () => {
    await reserve()(ports, c, { paymentId: 'pay_1' });
    const spec = reserveSpec();
    const before = ports.events.appendCalls;
    const payment = await paymentStep(spec)(ports, c, { paymentId: 'pay_1' });
    expect(payment.version).toBe(2);
    expect(ports.events.appendCalls).toBe(before);
    expect(spec.decide).not.toHaveBeenCalled();
    expect(spec.verify).toHaveBeenCalledWith(payment, { paymentId: 'pay_1' });
  });

  it('writes nothing when the decision has no events', async () => {
    const before = ports.events.appendCalls;
    const step = paymentStep({ isDone: () => false, decide: () => [] });
    expect((await step(ports, c, { paymentId: 'pay_1' })).version).toBe(1);
    expect(ports.events.appendCalls).toBe(before);
  });

  it('rejects an unknown payment and lets the guard refuse before deciding', async () => {
    await expect(reserve()(ports, c, { paymentId: 'pay_nope' })).rejects.toBeInstanceOf(PaymentNotFoundError);
    const refusing = paymentStep({
      isDone: () => false,
      guard: (p) => {
        throw new PaymentStateError(p.id, p.status, 'refused');
      },
      decide: () => {
        throw new Error('decided anyway');
      },
    });
    await expect(refusing(ports, c, { paymentId: 'pay_1' })).rejects.toBeInstanceOf(PaymentStateError);
  });
});
