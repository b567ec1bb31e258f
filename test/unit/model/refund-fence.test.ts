/**
 * The bug the saga model found (models/settlement.pml, mutant refund-before-fence): a PostTransfer the
 * state machine gave up on (its answer lost, its retries out) still runs; RefundAtProcessor refunds the
 * card, then that PostTransfer settles the payment and pays the merchant. RefundAtProcessor now appends
 * CompensationStarted before it calls the processor, and a forward step may not append after it.
 */
import { beforeEach, expect, it } from 'vitest';
import { deposit, openAccount } from '../../../lambdas/application/commands.ts';
import {
  assessRisk,
  captureAtProcessor,
  initiatePayment,
  postPaymentTransfer,
  refundAtProcessor,
  reserveFunds,
} from '../../../lambdas/application/payments/commands.ts';
import type {
  CaptureRequest,
  PaymentProcessor,
  RefundRequest,
} from '../../../lambdas/domain/payments/processor.ts';
import { ctx, inMemoryPorts, type TestPorts } from '../../support/in-memory-ports.ts';

/** Captures and refunds once per key; `duringRefund` runs while the processor handles a refund. */
class RacingProcessor implements PaymentProcessor {
  refunds = 0;
  duringRefund: () => Promise<void> = async () => {};
  async capture(request: CaptureRequest) {
    return { processorPaymentId: `ch_${request.idempotencyKey}` };
  }
  async refund(_request: RefundRequest) {
    await this.duringRefund();
    this.refunds++;
    return { processorRefundId: 're_1', outcome: 'refunded' as const };
  }
}

const c = ctx();
let ports: TestPorts & { processor: RacingProcessor };

beforeEach(async () => {
  ports = { ...inMemoryPorts(), processor: new RacingProcessor() };
  const payer = (await openAccount(ports, c, { currency: 'USD' })).id;
  const merchant = (await openAccount(ports, c, { currency: 'USD', kind: 'merchant' })).id;
  await deposit(ports, c, { accountId: payer, amount: 50_000, currency: 'USD' });
  const payment = { payerAccountId: payer, merchantAccountId: merchant, currency: 'USD', fee: 0 };
  await initiatePayment(ports, c, {
    paymentId: 'pay_1',
    amount: 10_000,
    paymentMethod: 'pm_card_visa',
    ...payment,
  });
  await reserveFunds(ports, c, { paymentId: 'pay_1' });
  const limits = { maxAmount: 100_000, maxPaymentsPerPayer: 3, velocityWindowSeconds: 600 };
  const velocity = { recordAndCount: async () => 1 };
  await assessRisk({ ...ports, velocity }, c, { paymentId: 'pay_1', limits });
  await captureAtProcessor(ports, c, { paymentId: 'pay_1' });
});

it('a late PostTransfer cannot settle a payment while its capture is being refunded', async () => {
  let settledDuringRefund = false;
  ports.processor.duringRefund = async () => {
    const late = await postPaymentTransfer(ports, c, { paymentId: 'pay_1' }).catch(() => null);
    settledDuringRefund = late?.status === 'settled';
  };
  const outcome = await refundAtProcessor(ports, c, { paymentId: 'pay_1' }).catch((error: Error) => error);
  // Never both: the card refunded and the merchant paid.
  expect({ refunds: ports.processor.refunds, settledDuringRefund }).toEqual({
    refunds: 1,
    settledDuringRefund: false,
  });
  expect(outcome).toMatchObject({ captureRefund: { outcome: 'refunded' }, compensating: true });
});

it('a payment that settled first is not refunded by the compensation', async () => {
  await postPaymentTransfer(ports, c, { paymentId: 'pay_1' });
  await expect(refundAtProcessor(ports, c, { paymentId: 'pay_1' })).rejects.toThrow(/settled/);
  expect(ports.processor.refunds).toBe(0);
});
