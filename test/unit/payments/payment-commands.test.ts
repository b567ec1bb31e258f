import { beforeEach, describe, expect, it } from 'vitest';
import { deposit, freezeAccount, openAccount } from '../../../lambdas/application/commands.ts';
import {
  assessRisk,
  captureAtProcessor,
  completePayment,
  confirmCapture,
  initiatePayment,
  markPaymentFailed,
  notifyMerchant,
  postPaymentTransfer,
  refundAtProcessor,
  reserveFunds,
  voidReservation,
} from '../../../lambdas/application/payments/commands.ts';
import { recordRefundResult, refundPayment } from '../../../lambdas/application/payments/refunds.ts';
import { getAccount } from '../../../lambdas/application/queries.ts';
import { availableBalance } from '../../../lambdas/domain/account.ts';
import { NotAMerchantAccountError } from '../../../lambdas/domain/disputes.ts';
import {
  AccountFrozenError,
  AccountNotFoundError,
  CurrencyMismatchError,
  InsufficientFundsError,
} from '../../../lambdas/domain/errors.ts';
import type { StoredEvent } from '../../../lambdas/domain/events.ts';
import {
  CaptureConflictError,
  PaymentNotFoundError,
  PaymentStateError,
  RefundExceedsCapturedError,
  RefundNotFoundError,
  RiskRejectedError,
} from '../../../lambdas/domain/payments/errors.ts';
import {
  type CaptureRequest,
  PaymentDeclinedError,
  type PaymentProcessor,
  ProcessorUnavailableError,
  type RefundRequest,
} from '../../../lambdas/domain/payments/processor.ts';
import type { PaymentVelocity, RiskLimits } from '../../../lambdas/domain/payments/risk.ts';
import { accountOfStream } from '../../../lambdas/domain/shards.ts';
import {
  clearingAccountId,
  feeAccountId,
  SystemAccountError,
  settlementAccountId,
} from '../../../lambdas/domain/system-ids.ts';
import { accountStreams, ctx, inMemoryPorts, type TestPorts } from '../../support/in-memory-ports.ts';

/** A processor double with the sandbox's semantics: idempotent per key, tombstones on blind refunds. */
class FakeProcessor implements PaymentProcessor {
  readonly captures = new Map<string, { id: string; amount: number } | 'tombstone'>();
  readonly refunds = new Map<string, string>();
  captureCalls = 0;
  refundFailure: Error | null = null;
  captureFailure: Error | null = null;

  async capture(request: CaptureRequest) {
    this.captureCalls++;
    if (this.captureFailure) throw this.captureFailure;
    const known = this.captures.get(request.idempotencyKey);
    if (known === 'tombstone') throw new PaymentDeclinedError(request.paymentId, 'capture_cancelled');
    const capture = known ?? { id: `ch_${this.captures.size + 1}`, amount: request.amount };
    this.captures.set(request.idempotencyKey, capture);
    return { processorPaymentId: capture.id };
  }

  async refund(request: RefundRequest) {
    if (this.refundFailure) throw this.refundFailure;
    const capture = this.captures.get(request.captureIdempotencyKey);
    if (!capture || capture === 'tombstone') {
      this.captures.set(request.captureIdempotencyKey, 'tombstone');
      return { processorRefundId: null, outcome: 'nothing-to-refund' as const };
    }
    const id = this.refunds.get(request.idempotencyKey) ?? `re_${this.refunds.size + 1}`;
    this.refunds.set(request.idempotencyKey, id);
    return { processorRefundId: id, outcome: 'refunded' as const };
  }
}

class FakeVelocity implements PaymentVelocity {
  readonly seen = new Map<string, Set<string>>();
  async recordAndCount(input: { tenantId: string; payerAccountId: string; paymentId: string }) {
    const set = this.seen.get(input.payerAccountId) ?? new Set<string>();
    set.add(input.paymentId);
    this.seen.set(input.payerAccountId, set);
    return set.size;
  }
}

const LIMITS: RiskLimits = { maxAmount: 100_000, maxPaymentsPerPayer: 3, velocityWindowSeconds: 600 };

let ports: TestPorts & { processor: FakeProcessor; velocity: FakeVelocity };
const c = ctx();
let payer: string;
let merchant: string;

async function balances() {
  const ids = [payer, merchant, clearingAccountId('USD'), feeAccountId('USD')];
  const accounts = await Promise.all(ids.map((id) => getAccount(ports, c.tenantId, id).catch(() => null)));
  return Object.fromEntries(
    accounts.map((a, i) => [
      ids[i],
      a
        ? {
            posted: a.creditsPosted - a.debitsPosted,
            available: availableBalance(a),
            pending: a.debitsPending,
          }
        : null,
    ]),
  );
}

function paymentEvents(paymentId: string): string[] {
  return (ports.events.streams.get(`payment#tenant-a#${paymentId}`) ?? []).map((e: StoredEvent) => e.type);
}

/** Sum of posted credits − debits over every account of the tenant: always zero. */
function ledgerSum(): number {
  const totals = new Map<string, number>();
  for (const event of ports.events.all()) {
    if (event.stream.type !== 'account') continue;
    if (event.type === 'TransferPosted' || event.type === 'PendingTransferPosted') {
      const p = event.payload;
      const id = accountOfStream(event.stream.id);
      const delta = (p.creditAccountId === id ? p.amount : 0) - (p.debitAccountId === id ? p.amount : 0);
      totals.set(id, (totals.get(id) ?? 0) + delta);
    }
  }
  return [...totals.values()].reduce((a, b) => a + b, 0);
}

async function initiate(paymentId: string, amount = 10_000, paymentMethod = 'pm_card_visa') {
  return initiatePayment(ports, c, {
    paymentId,
    payerAccountId: payer,
    merchantAccountId: merchant,
    amount,
    currency: 'USD',
    paymentMethod,
    fee: Math.floor(amount * 0.029),
    description: 'order 42',
  });
}

/** Runs the forward steps in saga order. */
async function settle(paymentId: string) {
  await reserveFunds(ports, c, { paymentId });
  await assessRisk(ports, c, { paymentId, limits: LIMITS });
  await captureAtProcessor(ports, c, { paymentId });
  await postPaymentTransfer(ports, c, { paymentId });
  await notifyMerchant(ports, c, { paymentId });
  return completePayment(ports, c, { paymentId });
}

/** Runs the compensations in saga order. */
async function compensate(paymentId: string, reason = 'Test: x') {
  await refundAtProcessor(ports, c, { paymentId });
  await voidReservation(ports, c, { paymentId });
  return markPaymentFailed(ports, c, { paymentId, reason });
}

beforeEach(async () => {
  ports = { ...inMemoryPorts(), processor: new FakeProcessor(), velocity: new FakeVelocity() };
  payer = (await openAccount(ports, c, { currency: 'USD' })).id;
  merchant = (await openAccount(ports, c, { currency: 'USD', kind: 'merchant' })).id;
  await deposit(ports, c, { accountId: payer, amount: 50_000, currency: 'USD' });
});

describe('settling a payment', () => {
  it('reserves, captures, posts the linked legs atomically and notifies: merchant gets amount − fee', async () => {
    await initiate('pay_1');
    const payment = await settle('pay_1');
    expect(payment.status).toBe('settled');
    expect(await balances()).toMatchObject({
      [payer]: { posted: 40_000, pending: 0 },
      [merchant]: { posted: 9_710 },
      [clearingAccountId('USD')]: { posted: 0 },
      [feeAccountId('USD')]: { posted: 290 },
    });
    expect(paymentEvents('pay_1')).toEqual([
      'PaymentInitiated',
      'FundsReserved',
      'RiskAssessed',
      'PaymentCaptured',
      'PaymentSettled',
      'MerchantNotificationRequested',
    ]);
    const notification = ports.events.streams.get('payment#tenant-a#pay_1')?.at(-1);
    expect(notification?.payload).toMatchObject({
      notificationId: 'pay_1.settled',
      type: 'payment.settled',
      merchantAccountId: merchant,
    });
    expect(ledgerSum()).toBe(0);
  });

  it('commits the settlement in one append: reserve posted, payout and fee legs, clearing gets three events', async () => {
    await initiate('pay_1');
    await reserveFunds(ports, c, { paymentId: 'pay_1' });
    await assessRisk(ports, c, { paymentId: 'pay_1', limits: LIMITS });
    await captureAtProcessor(ports, c, { paymentId: 'pay_1' });
    const before = ports.events.appendCalls;
    await postPaymentTransfer(ports, c, { paymentId: 'pay_1' });
    expect(ports.events.appendCalls - before).toBe(1);
    // Each leg lands on the clearing shard its transfer id picks; each shard opened itself on first use.
    const shards = [...accountStreams(ports, clearingAccountId('USD')).values()];
    const legs = shards.flatMap((events) => events.map((e) => e.type).filter((t) => t !== 'AccountOpened'));
    expect(legs.sort()).toEqual([
      'PendingTransferPosted',
      'TransferPending',
      'TransferPosted',
      'TransferPosted',
    ]);
    for (const events of shards) expect(events[0]?.type).toBe('AccountOpened');
  });

  it('runs every step twice with the effect of once (idempotent by payment and step)', async () => {
    await initiate('pay_1');
    await settle('pay_1');
    const appended = ports.events.all().length;
    await settle('pay_1');
    expect(ports.events.all().length).toBe(appended);
    expect(ports.processor.captureCalls).toBe(1);
  });

  it('answers a duplicate initiation with the same payment, and refuses other fields', async () => {
    const first = await initiate('pay_1');
    const again = await initiate('pay_1');
    expect(first.created).toBe(true);
    expect(again.created).toBe(false);
    await expect(initiate('pay_1', 20_000)).rejects.toThrow(/different fields/);
  });
});

describe('fences at initiation (before anything is written or the card touched)', () => {
  /** Initiates a payment between two parties; expects `error` and that nothing was written. */
  async function expectRefused(
    payerAccountId: string,
    merchantAccountId: string,
    error: new (...args: never[]) => Error,
  ) {
    const before = ports.events.all().length;
    const input = {
      paymentId: 'pay_fenced',
      payerAccountId,
      merchantAccountId,
      amount: 100,
      currency: 'USD',
    };
    await expect(
      initiatePayment(ports, c, { ...input, paymentMethod: 'pm_card_visa', fee: 0 }),
    ).rejects.toBeInstanceOf(error);
    expect(ports.events.all().length).toBe(before);
  }

  it('refuses a system account as payer or merchant', async () => {
    await expectRefused('settlement-USD', merchant, SystemAccountError);
    await expectRefused('clearing-USD', merchant, SystemAccountError);
    await expectRefused('fees-USD', merchant, SystemAccountError);
    await expectRefused(payer, 'fees-USD', SystemAccountError);
    await expectRefused(payer, 'disputes-USD', SystemAccountError);
  });

  it('refuses a merchant that does not exist, is not a merchant, or holds another currency', async () => {
    const customer = (await openAccount(ports, c, { currency: 'USD' })).id;
    const euroMerchant = (await openAccount(ports, c, { currency: 'EUR', kind: 'merchant' })).id;
    await expectRefused(payer, 'acct_missing', AccountNotFoundError);
    await expectRefused(payer, customer, NotAMerchantAccountError);
    await expectRefused(payer, euroMerchant, CurrencyMismatchError);
    expect(ports.processor.captureCalls).toBe(0);
  });
});

describe('failing and compensating', () => {
  it('rejects a reservation beyond the payer balance and fails without compensations', async () => {
    await initiate('pay_1', 60_000);
    await expect(reserveFunds(ports, c, { paymentId: 'pay_1' })).rejects.toBeInstanceOf(
      InsufficientFundsError,
    );
    const failed = await markPaymentFailed(ports, c, {
      paymentId: 'pay_1',
      reason: 'InsufficientFundsError: no money',
    });
    expect(failed.failure).toEqual({
      reason: 'InsufficientFundsError: no money',
      failedStep: 'ReserveFunds',
      compensations: [],
    });
    expect(ledgerSum()).toBe(0);
  });

  it('rejects by risk rules with clear reasons, then voids the reservation', async () => {
    await deposit(ports, c, { accountId: payer, amount: 500_000, currency: 'USD' });
    await initiate('pay_1', 200_000);
    await reserveFunds(ports, c, { paymentId: 'pay_1' });
    const rejection = await assessRisk(ports, c, { paymentId: 'pay_1', limits: LIMITS }).catch((e) => e);
    expect(rejection).toBeInstanceOf(RiskRejectedError);
    expect(rejection.reasons).toEqual(['amount-over-tenant-limit']);
    // Rerunning the step rethrows the recorded rejection: the saga's catch sees the same error.
    await expect(assessRisk(ports, c, { paymentId: 'pay_1', limits: LIMITS })).rejects.toBeInstanceOf(
      RiskRejectedError,
    );
    const failed = await compensate('pay_1');
    expect(failed.failure?.compensations).toEqual(['VoidReservation']);
    expect(failed.failure?.failedStep).toBe('AssessRisk');
    expect((await balances())[payer]).toMatchObject({ posted: 550_000, pending: 0 });
  });

  it('counts payer velocity: the fourth payment in the window is rejected', async () => {
    for (const id of ['p1', 'p2', 'p3', 'p4']) {
      await initiate(id, 1_000);
      await reserveFunds(ports, c, { paymentId: id });
    }
    for (const id of ['p1', 'p2', 'p3']) await assessRisk(ports, c, { paymentId: id, limits: LIMITS });
    await expect(assessRisk(ports, c, { paymentId: 'p4', limits: LIMITS })).rejects.toThrow(
      /payer-velocity-exceeded/,
    );
  });

  it('refunds a capture whose answer was lost (timeout) and voids: balances are back', async () => {
    await initiate('pay_1');
    await reserveFunds(ports, c, { paymentId: 'pay_1' });
    await assessRisk(ports, c, { paymentId: 'pay_1', limits: LIMITS });
    // The processor captured, but the answer never arrived.
    await ports.processor.capture({
      paymentId: 'pay_1',
      tenantId: 'tenant-a',
      amount: 10_000,
      currency: 'USD',
      paymentMethod: 'pm_card_timeout',
      idempotencyKey: 'pay_1.capture',
    });
    const failed = await compensate('pay_1');
    expect(failed.captureRefund?.outcome).toBe('refunded');
    expect(failed.failure?.compensations).toEqual(['RefundAtProcessor', 'VoidReservation']);
    expect(failed.failure?.failedStep).toBe('CaptureAtProcessor');
    expect((await balances())[payer]).toMatchObject({ posted: 50_000, pending: 0, available: 50_000 });
  });

  it('fences off a late capture: a blind refund tombstones the key and the capture is then refused', async () => {
    await initiate('pay_1');
    await reserveFunds(ports, c, { paymentId: 'pay_1' });
    await assessRisk(ports, c, { paymentId: 'pay_1', limits: LIMITS });
    const failed = await compensate('pay_1');
    expect(failed.captureRefund?.outcome).toBe('nothing-to-refund');
    await expect(captureAtProcessor(ports, c, { paymentId: 'pay_1' })).rejects.toBeInstanceOf(
      PaymentStateError,
    );
  });

  it('leaves no money moved when the merchant is frozen between reserve and post', async () => {
    await initiate('pay_1');
    await reserveFunds(ports, c, { paymentId: 'pay_1' });
    await assessRisk(ports, c, { paymentId: 'pay_1', limits: LIMITS });
    await captureAtProcessor(ports, c, { paymentId: 'pay_1' });
    await freezeAccount(ports, c, { accountId: merchant, reason: 'kyc' });
    await expect(postPaymentTransfer(ports, c, { paymentId: 'pay_1' })).rejects.toBeInstanceOf(
      AccountFrozenError,
    );
    const failed = await compensate('pay_1');
    expect(failed.failure?.failedStep).toBe('PostTransfer');
    expect(await balances()).toMatchObject({
      [payer]: { posted: 50_000, pending: 0 },
      [merchant]: { posted: 0 },
      [clearingAccountId('USD')]: { posted: 0, pending: 0 },
    });
    expect(paymentEvents('pay_1').slice(-4)).toEqual([
      'CaptureRefunded',
      'ReservationVoided',
      'PaymentFailed',
      'MerchantNotificationRequested',
    ]);
  });

  it('keeps a refund that keeps failing retryable: nothing is recorded until it succeeds', async () => {
    await initiate('pay_1');
    await reserveFunds(ports, c, { paymentId: 'pay_1' });
    await assessRisk(ports, c, { paymentId: 'pay_1', limits: LIMITS });
    await captureAtProcessor(ports, c, { paymentId: 'pay_1' });
    ports.processor.refundFailure = new ProcessorUnavailableError('503');
    await expect(refundAtProcessor(ports, c, { paymentId: 'pay_1' })).rejects.toBeInstanceOf(
      ProcessorUnavailableError,
    );
    ports.processor.refundFailure = null;
    const failed = await compensate('pay_1');
    expect(failed.status).toBe('failed');
  });

  it('refuses to compensate a settled payment', async () => {
    await initiate('pay_1');
    await settle('pay_1');
    await expect(refundAtProcessor(ports, c, { paymentId: 'pay_1' })).rejects.toBeInstanceOf(
      PaymentStateError,
    );
    await expect(voidReservation(ports, c, { paymentId: 'pay_1' })).rejects.toBeInstanceOf(PaymentStateError);
    await expect(
      markPaymentFailed(ports, c, { paymentId: 'pay_1', reason: 'Test: x' }),
    ).rejects.toBeInstanceOf(PaymentStateError);
  });

  it('fences off a late reservation once the reservation was voided', async () => {
    await initiate('pay_1');
    await voidReservation(ports, c, { paymentId: 'pay_1' });
    await expect(reserveFunds(ports, c, { paymentId: 'pay_1' })).rejects.toBeInstanceOf(PaymentStateError);
    expect((await balances())[payer]).toMatchObject({ pending: 0 });
  });
});

describe('refunds', () => {
  beforeEach(async () => {
    await initiate('pay_1');
    await settle('pay_1');
  });

  it('refunds in part, up to the captured amount and never above (the merchant funds it; fees are kept)', async () => {
    await deposit(ports, c, { accountId: merchant, amount: 1_000, currency: 'USD' });
    await refundPayment(ports, c, { paymentId: 'pay_1', refundId: 'rf_1', amount: 4_000 });
    await refundPayment(ports, c, { paymentId: 'pay_1', refundId: 'rf_2', amount: 6_000 });
    await expect(
      refundPayment(ports, c, { paymentId: 'pay_1', refundId: 'rf_3', amount: 1 }),
    ).rejects.toBeInstanceOf(RefundExceedsCapturedError);
    const b = await balances();
    expect(b[payer]).toMatchObject({ posted: 50_000 });
    expect(b[merchant]).toMatchObject({ posted: 9_710 + 1_000 - 10_000 });
    expect(ledgerSum()).toBe(0);
  });

  it('replays a refund with the same id once', async () => {
    const first = await refundPayment(ports, c, { paymentId: 'pay_1', refundId: 'rf_1', amount: 1_000 });
    const again = await refundPayment(ports, c, { paymentId: 'pay_1', refundId: 'rf_1', amount: 1_000 });
    expect(again.refund).toEqual(first.refund);
    expect(again.payment.refundedAmount).toBe(1_000);
  });

  it('holds the merchant funds while the processor is down, and completes from a webhook', async () => {
    ports.processor.refundFailure = new ProcessorUnavailableError('503');
    await expect(
      refundPayment(ports, c, { paymentId: 'pay_1', refundId: 'rf_1', amount: 2_000 }),
    ).rejects.toBeInstanceOf(ProcessorUnavailableError);
    expect((await balances())[merchant]).toMatchObject({ posted: 9_710, available: 7_710 });
    const done = await recordRefundResult(ports, c, {
      paymentId: 'pay_1',
      refundId: 'rf_1',
      outcome: 'succeeded',
    });
    expect(done.refunds[0]?.status).toBe('succeeded');
    await recordRefundResult(ports, c, { paymentId: 'pay_1', refundId: 'rf_1', outcome: 'succeeded' });
    expect((await balances())[payer]).toMatchObject({ posted: 42_000 });
  });

  it('completes a refund the processor made although payer and merchant were frozen since', async () => {
    ports.processor.refundFailure = new ProcessorUnavailableError('503');
    await refundPayment(ports, c, { paymentId: 'pay_1', refundId: 'rf_1', amount: 2_000 }).catch(() => {});
    for (const accountId of [payer, merchant]) await freezeAccount(ports, c, { accountId, reason: 'review' });
    const done = await recordRefundResult(ports, c, {
      paymentId: 'pay_1',
      refundId: 'rf_1',
      outcome: 'succeeded',
    });
    expect(done.refunds[0]?.status).toBe('succeeded');
    expect((await balances())[payer]).toMatchObject({ posted: 42_000 });
    expect(ledgerSum()).toBe(0);
  });

  it('releases the hold when the processor reports the refund failed', async () => {
    ports.processor.refundFailure = new ProcessorUnavailableError('503');
    await refundPayment(ports, c, { paymentId: 'pay_1', refundId: 'rf_1', amount: 2_000 }).catch(() => {});
    const failed = await recordRefundResult(ports, c, {
      paymentId: 'pay_1',
      refundId: 'rf_1',
      outcome: 'failed',
    });
    expect(failed.refunds[0]?.status).toBe('failed');
    expect((await balances())[merchant]).toMatchObject({ posted: 9_710, available: 9_710 });
  });

  it('names unknown payments and refunds', async () => {
    await expect(
      recordRefundResult(ports, c, { paymentId: 'pay_x', refundId: 'rf_1', outcome: 'failed' }),
    ).rejects.toBeInstanceOf(PaymentNotFoundError);
    await expect(
      recordRefundResult(ports, c, { paymentId: 'pay_1', refundId: 'rf_x', outcome: 'failed' }),
    ).rejects.toBeInstanceOf(RefundNotFoundError);
  });
});

describe('processor confirmations (issue 6 webhooks)', () => {
  it('confirms a capture idempotently and refuses a contradicting one', async () => {
    await initiate('pay_1');
    await reserveFunds(ports, c, { paymentId: 'pay_1' });
    const confirmed = await confirmCapture(ports, c, { paymentId: 'pay_1', processorPaymentId: 'ch_9' });
    expect(confirmed.status).toBe('captured');
    await confirmCapture(ports, c, { paymentId: 'pay_1', processorPaymentId: 'ch_9' });
    await expect(
      confirmCapture(ports, c, { paymentId: 'pay_1', processorPaymentId: 'ch_8' }),
    ).rejects.toBeInstanceOf(CaptureConflictError);
    await expect(
      confirmCapture(ports, c, { paymentId: 'pay_x', processorPaymentId: 'ch_8' }),
    ).rejects.toBeInstanceOf(PaymentNotFoundError);
  });
});

it('opens the clearing and fee accounts by themselves, as internal accounts', async () => {
  await initiate('pay_1');
  await settle('pay_1');
  for (const id of [clearingAccountId('USD'), feeAccountId('USD'), settlementAccountId('USD')]) {
    expect((await getAccount(ports, c.tenantId, id)).kind).toBe('internal');
  }
});
