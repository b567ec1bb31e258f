import {
  type CommandContext,
  clearingAccountId,
  feeAccountId,
  LedgerWork,
  newEvent,
  openTransferStep,
  postDecision,
  resolveStep,
  unlessExpired,
  voidDecision,
} from '../commands.ts';
import { SameAccountError } from '../errors.ts';
import type { PaymentCompensation, PaymentEvent, PaymentStep } from '../events.ts';
import { assertPositiveAmount, currency as parseCurrency } from '../money.ts';
import type { MerchantNotification } from '../notifications.ts';
import type { LedgerPorts } from '../ports.ts';
import { type Change, change, commit, type Loaded, loadPayment, PAYMENT } from '../repository.ts';
import {
  CaptureConflictError,
  InvalidFeeError,
  PaymentExistsWithDifferentFieldsError,
  PaymentNotFoundError,
  PaymentNotRefundableError,
  PaymentStateError,
  RefundExceedsCapturedError,
  RefundExistsWithDifferentFieldsError,
  RefundNotFoundError,
  RefundOutcomeConflictError,
  RiskRejectedError,
} from './errors.ts';
import { type PaymentState, type RefundState, refundableAmount } from './payment.ts';
import { PaymentDeclinedError, type PaymentProcessor } from './processor.ts';
import { assessRules, type PaymentVelocity, type RiskLimits } from './risk.ts';

/*
 * Every saga step is idempotent by (paymentId, step) through the event store alone: a step first
 * reads the payment and returns at once if its event is already there; otherwise it appends that
 * event together with its money movements in ONE write conditioned on the payment stream's
 * version, and the money legs carry deterministic transfer ids (`<paymentId>-reserve`, …). A second
 * run, or a racing duplicate, either sees the event or loses the condition, reloads and sees it. No
 * extra idempotency table, and the record of "done" is the very event that did it. Calls to the
 * processor carry the processor's idempotency key (`<paymentId>.capture`), so they are safe to
 * repeat before our event is written.
 */

/** The two-phase transfer payer → clearing that reserves a payment's funds. */
export const reserveTransferId = (paymentId: string) => `${paymentId}-reserve`;
/** Clearing → merchant: the amount minus the fee. */
export const payoutTransferId = (paymentId: string) => `${paymentId}-payout`;
/** Clearing → the tenant's fee account. */
export const feeTransferId = (paymentId: string) => `${paymentId}-fee`;
/** The processor idempotency key of a payment's capture. */
export const captureKey = (paymentId: string) => `${paymentId}.capture`;
/** The processor idempotency key of the compensating refund of a capture. */
export const captureRefundKey = (paymentId: string) => `${paymentId}.capture-refund`;
/** A refund's hold on the merchant's funds (merchant → clearing, two-phase). */
export const refundHoldTransferId = (refundId: string) => `${refundId}-hold`;
/** A refund's payout to the payer (clearing → payer). */
export const refundReturnTransferId = (refundId: string) => `${refundId}-return`;

const reference = (paymentId: string) => `payment:${paymentId}`;

type PaymentPorts = LedgerPorts;

async function loadExisting(
  ports: PaymentPorts,
  tenantId: string,
  paymentId: string,
): Promise<Loaded<PaymentState> & { readonly state: PaymentState }> {
  const loaded = await loadPayment(ports, tenantId, paymentId);
  if (!loaded.state) throw new PaymentNotFoundError(paymentId);
  return loaded as Loaded<PaymentState> & { readonly state: PaymentState };
}

function paymentChange(
  ports: PaymentPorts,
  ctx: CommandContext,
  loaded: Loaded<PaymentState>,
  events: readonly PaymentEvent[],
): Change<PaymentState> {
  return change(
    PAYMENT,
    loaded,
    events.map((event) => newEvent(ports, ctx, event)),
  );
}

/** Appends events to the payment stream alone. */
async function appendToPayment(
  ports: PaymentPorts,
  ctx: CommandContext,
  loaded: Loaded<PaymentState>,
  events: readonly PaymentEvent[],
): Promise<PaymentState> {
  const changed = paymentChange(ports, ctx, loaded, events);
  await commit(ports, [changed as Change<unknown>]);
  return changed.after as PaymentState;
}

/** A forward step may not run once compensation has begun (a late duplicate must not undo it). */
function assertNotCompensating(payment: PaymentState): void {
  if (payment.status === 'failed' || payment.reservationVoided || payment.captureRefund) {
    throw new PaymentStateError(payment.id, payment.status, 'it is being compensated');
  }
}

function notification(
  ports: PaymentPorts,
  payment: PaymentState,
  kind: 'settled' | 'failed' | 'refunded',
  data: MerchantNotification['data'],
  suffix = '',
): PaymentEvent {
  return {
    type: 'MerchantNotificationRequested',
    payload: {
      notificationId: `${payment.id}.${kind}${suffix}`,
      tenantId: payment.tenantId,
      merchantAccountId: payment.merchantAccountId,
      type: `payment.${kind}`,
      occurredAt: ports.clock.now().toISOString(),
      data: { paymentId: payment.id, amount: payment.amount, currency: payment.currency, ...data },
    },
  };
}

export interface InitiatePaymentInput {
  /** Deterministic from the tenant and the Idempotency-Key, so a retried request converges. */
  readonly paymentId: string;
  readonly payerAccountId: string;
  readonly merchantAccountId: string;
  readonly amount: number;
  readonly currency: string;
  readonly paymentMethod: string;
  readonly fee: number;
  readonly description?: string | null;
}

/**
 * Records a new payment (status `pending`); the saga does the rest. The same id with the same
 * fields returns the payment as it is now (`created: false`), with other fields it is an error.
 */
export async function initiatePayment(
  ports: PaymentPorts,
  ctx: CommandContext,
  input: InitiatePaymentInput,
): Promise<{ payment: PaymentState; created: boolean }> {
  const code = parseCurrency(input.currency);
  const amount = assertPositiveAmount(input.amount);
  if (!Number.isSafeInteger(input.fee) || input.fee < 0 || input.fee >= amount) {
    throw new InvalidFeeError(amount, input.fee);
  }
  if (input.payerAccountId === input.merchantAccountId) throw new SameAccountError(input.payerAccountId);
  const payload = {
    paymentId: input.paymentId,
    payerAccountId: input.payerAccountId,
    merchantAccountId: input.merchantAccountId,
    amount,
    currency: code,
    paymentMethod: input.paymentMethod,
    fee: input.fee,
    description: input.description ?? null,
  };
  const loaded = await loadPayment(ports, ctx.tenantId, input.paymentId);
  if (loaded.state) {
    const p = loaded.state;
    const same =
      p.payerAccountId === payload.payerAccountId &&
      p.merchantAccountId === payload.merchantAccountId &&
      p.amount === payload.amount &&
      p.currency === payload.currency &&
      p.paymentMethod === payload.paymentMethod &&
      p.description === payload.description;
    if (!same) throw new PaymentExistsWithDifferentFieldsError(input.paymentId);
    return { payment: p, created: false };
  }
  const payment = await appendToPayment(ports, ctx, loaded, [{ type: 'PaymentInitiated', payload }]);
  return { payment, created: true };
}

/** Reads a payment from its stream (strongly consistent). */
export async function getPayment(
  ports: PaymentPorts,
  tenantId: string,
  paymentId: string,
): Promise<PaymentState> {
  return (await loadExisting(ports, tenantId, paymentId)).state;
}

export interface PaymentRef {
  readonly paymentId: string;
}

/** ReserveFunds: a two-phase transfer payer → clearing; insufficient funds is a business rejection. */
export async function reserveFunds(
  ports: PaymentPorts,
  ctx: CommandContext,
  input: PaymentRef,
): Promise<PaymentState> {
  const loaded = await loadExisting(ports, ctx.tenantId, input.paymentId);
  const p = loaded.state;
  if (p.reserveTransferId) return p;
  assertNotCompensating(p);
  const work = new LedgerWork(ports, ctx);
  await openTransferStep(work, {
    id: reserveTransferId(p.id),
    debitAccountId: p.payerAccountId,
    creditAccountId: clearingAccountId(p.currency),
    amount: p.amount,
    currency: p.currency,
    pending: true,
    reference: reference(p.id),
  });
  const changed = paymentChange(ports, ctx, loaded, [
    { type: 'FundsReserved', payload: { paymentId: p.id, transferId: reserveTransferId(p.id) } },
  ]);
  await work.commit([changed as Change<unknown>]);
  return changed.after as PaymentState;
}

/** AssessRisk: the tenant's amount limit and the payer's velocity; a rejection is recorded, then thrown. */
export async function assessRisk(
  ports: PaymentPorts & { readonly velocity: PaymentVelocity },
  ctx: CommandContext,
  input: PaymentRef & { readonly limits: RiskLimits },
): Promise<PaymentState> {
  const loaded = await loadExisting(ports, ctx.tenantId, input.paymentId);
  const p = loaded.state;
  if (p.risk) {
    if (p.risk.decision === 'rejected') throw new RiskRejectedError(p.id, p.risk.reasons);
    return p;
  }
  assertNotCompensating(p);
  if (p.status !== 'reserved') throw new PaymentStateError(p.id, p.status, 'risk is assessed once reserved');
  const recent = await ports.velocity.recordAndCount({
    tenantId: p.tenantId,
    payerAccountId: p.payerAccountId,
    paymentId: p.id,
    // The payment's own time, not the clock: a retried assessment counts the same window.
    at: new Date(p.createdAt),
    windowSeconds: input.limits.velocityWindowSeconds,
  });
  const verdict = assessRules(input.limits, { amount: p.amount, recentPaymentsByPayer: recent });
  const after = await appendToPayment(ports, ctx, loaded, [
    { type: 'RiskAssessed', payload: { paymentId: p.id, ...verdict } },
  ]);
  if (verdict.decision === 'rejected') throw new RiskRejectedError(p.id, verdict.reasons);
  return after;
}

/** CaptureAtProcessor: captures the card with the processor's idempotency key; a decline is thrown. */
export async function captureAtProcessor(
  ports: PaymentPorts & { readonly processor: PaymentProcessor },
  ctx: CommandContext,
  input: PaymentRef,
): Promise<PaymentState> {
  const loaded = await loadExisting(ports, ctx.tenantId, input.paymentId);
  const p = loaded.state;
  if (p.processorPaymentId) return p;
  assertNotCompensating(p);
  if (p.status !== 'reserved' || p.risk?.decision !== 'approved') {
    throw new PaymentStateError(p.id, p.status, 'capture needs reserved funds and an approved risk check');
  }
  const captured = await ports.processor.capture({
    paymentId: p.id,
    tenantId: p.tenantId,
    amount: p.amount,
    currency: p.currency,
    paymentMethod: p.paymentMethod,
    idempotencyKey: captureKey(p.id),
  });
  return appendToPayment(ports, ctx, loaded, [
    {
      type: 'PaymentCaptured',
      payload: { paymentId: p.id, processorPaymentId: captured.processorPaymentId },
    },
  ]);
}

/**
 * PostTransfer, the saga's pivot: posts the reservation, pays the merchant (amount − fee) and the fee
 * account out of clearing, and records PaymentSettled, all in ONE atomic append.
 */
export async function postPaymentTransfer(
  ports: PaymentPorts,
  ctx: CommandContext,
  input: PaymentRef,
): Promise<PaymentState> {
  const loaded = await loadExisting(ports, ctx.tenantId, input.paymentId);
  const p = loaded.state;
  if (p.status === 'settled') return p;
  assertNotCompensating(p);
  if (p.status !== 'captured' || !p.reserveTransferId) {
    throw new PaymentStateError(p.id, p.status, 'only a captured payment is posted');
  }
  const work = new LedgerWork(ports, ctx);
  unlessExpired(await resolveStep(work, p.reserveTransferId, postDecision()));
  const clearing = clearingAccountId(p.currency);
  const merchantAmount = p.amount - p.fee;
  const transferIds = [p.reserveTransferId, payoutTransferId(p.id)];
  await openTransferStep(work, {
    id: payoutTransferId(p.id),
    debitAccountId: clearing,
    creditAccountId: p.merchantAccountId,
    amount: merchantAmount,
    currency: p.currency,
    reference: reference(p.id),
  });
  if (p.fee > 0) {
    transferIds.push(feeTransferId(p.id));
    await openTransferStep(work, {
      id: feeTransferId(p.id),
      debitAccountId: clearing,
      creditAccountId: feeAccountId(p.currency),
      amount: p.fee,
      currency: p.currency,
      reference: reference(p.id),
    });
  }
  const changed = paymentChange(ports, ctx, loaded, [
    { type: 'PaymentSettled', payload: { paymentId: p.id, merchantAmount, fee: p.fee, transferIds } },
  ]);
  await work.commit([changed as Change<unknown>]);
  return changed.after as PaymentState;
}

/** NotifyMerchant: puts `payment.settled` in the outbox (the payment stream); the relay delivers it. */
export async function notifyMerchant(
  ports: PaymentPorts,
  ctx: CommandContext,
  input: PaymentRef,
): Promise<PaymentState> {
  const loaded = await loadExisting(ports, ctx.tenantId, input.paymentId);
  const p = loaded.state;
  if (p.status !== 'settled')
    throw new PaymentStateError(p.id, p.status, 'only a settled payment is notified');
  if (p.notifications.includes(`${p.id}.settled`)) return p;
  return appendToPayment(ports, ctx, loaded, [
    notification(ports, p, 'settled', { fee: p.fee, merchantAmount: p.amount - p.fee }),
  ]);
}

/** Complete: checks the saga's end state (settled, merchant notification in the outbox). Writes nothing. */
export async function completePayment(
  ports: PaymentPorts,
  ctx: CommandContext,
  input: PaymentRef,
): Promise<PaymentState> {
  const p = await getPayment(ports, ctx.tenantId, input.paymentId);
  if (p.status !== 'settled' || !p.notifications.includes(`${p.id}.settled`)) {
    throw new PaymentStateError(p.id, p.status, 'a completed payment is settled and notified');
  }
  return p;
}

/**
 * RefundAtProcessor (compensation): refunds a capture that may have happened. It asks by the capture's
 * idempotency key too, so a capture that timed out is found (or tombstoned: `nothing-to-refund`).
 * Skipped when capture was never attempted (risk not approved).
 */
export async function refundAtProcessor(
  ports: PaymentPorts & { readonly processor: PaymentProcessor },
  ctx: CommandContext,
  input: PaymentRef,
): Promise<PaymentState> {
  const loaded = await loadExisting(ports, ctx.tenantId, input.paymentId);
  const p = loaded.state;
  if (p.captureRefund) return p;
  if (p.status === 'settled') {
    throw new PaymentStateError(
      p.id,
      p.status,
      'a settled payment is refunded with POST /payments/{id}/refunds',
    );
  }
  if (p.risk?.decision !== 'approved') return p;
  const refunded = await ports.processor.refund({
    paymentId: p.id,
    tenantId: p.tenantId,
    amount: p.amount,
    currency: p.currency,
    processorPaymentId: p.processorPaymentId,
    captureIdempotencyKey: captureKey(p.id),
    idempotencyKey: captureRefundKey(p.id),
  });
  return appendToPayment(ports, ctx, loaded, [
    {
      type: 'CaptureRefunded',
      payload: {
        paymentId: p.id,
        processorRefundId: refunded.processorRefundId,
        outcome: refunded.outcome,
      },
    },
  ]);
}

/**
 * VoidReservation (compensation): voids the pending reserve, if there is one, and records that the
 * reservation is gone in the same write. Recording it even when nothing was reserved fences off a
 * late ReserveFunds (its append would lose the payment stream's condition).
 */
export async function voidReservation(
  ports: PaymentPorts,
  ctx: CommandContext,
  input: PaymentRef,
): Promise<PaymentState> {
  const loaded = await loadExisting(ports, ctx.tenantId, input.paymentId);
  const p = loaded.state;
  if (p.reservationVoided) return p;
  if (p.status === 'settled') {
    throw new PaymentStateError(p.id, p.status, 'a settled payment has no reservation to void');
  }
  const work = new LedgerWork(ports, ctx);
  const reserve = await work.transfer(reserveTransferId(p.id));
  if (reserve.state?.status === 'pending') await resolveStep(work, reserve.state.id, voidDecision);
  const changed = paymentChange(ports, ctx, loaded, [
    {
      type: 'ReservationVoided',
      payload: { paymentId: p.id, transferId: reserve.state ? reserve.state.id : null },
    },
  ]);
  await work.commit([changed as Change<unknown>]);
  return changed.after as PaymentState;
}

/** The step a payment stopped at, read from how far its events got. */
function failedStepOf(p: PaymentState): PaymentStep {
  if (p.status === 'pending') return 'ReserveFunds';
  if (p.status === 'captured') return 'PostTransfer';
  if (p.status === 'settled') return 'NotifyMerchant';
  if (p.risk?.decision !== 'approved') return 'AssessRisk';
  return 'CaptureAtProcessor';
}

/** MarkPaymentFailed (last compensation): records why, which step, what was compensated, and tells the merchant. */
export async function markPaymentFailed(
  ports: PaymentPorts,
  ctx: CommandContext,
  input: PaymentRef & { readonly reason: string },
): Promise<PaymentState> {
  const loaded = await loadExisting(ports, ctx.tenantId, input.paymentId);
  const p = loaded.state;
  if (p.status === 'failed') return p;
  if (p.status === 'settled') throw new PaymentStateError(p.id, p.status, 'a settled payment cannot fail');
  if (p.reserveTransferId && !p.reservationVoided) {
    throw new PaymentStateError(p.id, p.status, 'its reservation must be voided first');
  }
  const compensations: PaymentCompensation[] = [];
  if (p.captureRefund) compensations.push('RefundAtProcessor');
  if (p.reserveTransferId) compensations.push('VoidReservation');
  const { reason } = input;
  return appendToPayment(ports, ctx, loaded, [
    {
      type: 'PaymentFailed',
      payload: { paymentId: p.id, reason, failedStep: failedStepOf(p), compensations },
    },
    notification(ports, p, 'failed', { reason: reason.slice(0, 200) }),
  ]);
}

/**
 * The processor confirms a capture (inbound webhook, issue 6). Idempotent. A payment still waiting for
 * its capture answer takes it (the saga's capture step then finds it done); a failed payment whose
 * capture was refunded needs nothing; anything else contradicts the ledger and is an error.
 */
export async function confirmCapture(
  ports: PaymentPorts,
  ctx: CommandContext,
  input: { readonly paymentId: string; readonly processorPaymentId: string },
): Promise<PaymentState> {
  const loaded = await loadExisting(ports, ctx.tenantId, input.paymentId);
  const p = loaded.state;
  if (p.processorPaymentId === input.processorPaymentId) return p;
  if (p.processorPaymentId) {
    throw new CaptureConflictError(
      p.id,
      `captured as ${p.processorPaymentId}, confirmed as ${input.processorPaymentId}`,
    );
  }
  if (p.status === 'failed' || p.captureRefund) {
    if (p.captureRefund?.outcome === 'refunded') return p;
    throw new CaptureConflictError(p.id, 'a capture was confirmed for a payment that failed without one');
  }
  return appendToPayment(ports, ctx, loaded, [
    { type: 'PaymentCaptured', payload: { paymentId: p.id, processorPaymentId: input.processorPaymentId } },
  ]);
}

export interface RefundPaymentInput {
  readonly paymentId: string;
  /** Deterministic from the request's Idempotency-Key. */
  readonly refundId: string;
  readonly amount: number;
}

function findRefund(p: PaymentState, refundId: string): RefundState | undefined {
  return p.refunds.find((r) => r.refundId === refundId);
}

/**
 * Refunds (part of) a settled payment: holds the amount on the merchant's account (two-phase, merchant
 * → clearing) with RefundRequested, refunds at the processor under the refund's own idempotency key,
 * then posts the hold and pays the payer back (clearing → payer) with PaymentRefunded, atomically.
 * A decline releases the hold (RefundFailed). Refunds never add up to more than was captured.
 * A processor outage leaves the refund `requested` (funds held): retrying converges.
 */
export async function refundPayment(
  ports: PaymentPorts & { readonly processor: PaymentProcessor },
  ctx: CommandContext,
  input: RefundPaymentInput,
): Promise<{ payment: PaymentState; refund: RefundState }> {
  const amount = assertPositiveAmount(input.amount);
  const loaded = await loadExisting(ports, ctx.tenantId, input.paymentId);
  let p = loaded.state;
  const existing = findRefund(p, input.refundId);
  if (existing) {
    if (existing.amount !== amount) throw new RefundExistsWithDifferentFieldsError(input.refundId);
    if (existing.status !== 'requested') return { payment: p, refund: existing };
  } else {
    if (p.status !== 'settled') throw new PaymentNotRefundableError(p.id, p.status);
    const refundable = refundableAmount(p);
    if (amount > refundable) throw new RefundExceedsCapturedError(p.id, refundable, amount);
    const work = new LedgerWork(ports, ctx);
    await openTransferStep(work, {
      id: refundHoldTransferId(input.refundId),
      debitAccountId: p.merchantAccountId,
      creditAccountId: clearingAccountId(p.currency),
      amount,
      currency: p.currency,
      pending: true,
      reference: reference(p.id),
    });
    const changed = paymentChange(ports, ctx, loaded, [
      { type: 'RefundRequested', payload: { paymentId: p.id, refundId: input.refundId, amount } },
    ]);
    await work.commit([changed as Change<unknown>]);
    p = changed.after as PaymentState;
  }
  let processorRefundId: string | null;
  try {
    const refunded = await ports.processor.refund({
      paymentId: p.id,
      tenantId: p.tenantId,
      amount,
      currency: p.currency,
      processorPaymentId: p.processorPaymentId,
      captureIdempotencyKey: captureKey(p.id),
      idempotencyKey: input.refundId,
    });
    if (refunded.outcome === 'nothing-to-refund') {
      const failed = await failRefund(
        ports,
        ctx,
        p.id,
        input.refundId,
        'the processor has no capture to refund',
      );
      return { payment: failed, refund: findRefund(failed, input.refundId) as RefundState };
    }
    processorRefundId = refunded.processorRefundId;
  } catch (error) {
    if (error instanceof PaymentDeclinedError) {
      await failRefund(ports, ctx, p.id, input.refundId, `declined: ${error.declineCode}`);
    }
    throw error;
  }
  const done = await completeRefund(ports, ctx, p.id, input.refundId, processorRefundId);
  return { payment: done, refund: findRefund(done, input.refundId) as RefundState };
}

/** Posts a refund's hold and pays the payer back, with PaymentRefunded and the merchant's notification. */
async function completeRefund(
  ports: PaymentPorts,
  ctx: CommandContext,
  paymentId: string,
  refundId: string,
  processorRefundId: string | null,
): Promise<PaymentState> {
  const loaded = await loadExisting(ports, ctx.tenantId, paymentId);
  const p = loaded.state;
  const refund = findRefund(p, refundId);
  if (!refund) throw new RefundNotFoundError(paymentId, refundId);
  if (refund.status === 'succeeded') return p;
  if (refund.status === 'failed') throw new RefundOutcomeConflictError(refundId, 'failed', 'succeeded');
  const work = new LedgerWork(ports, ctx);
  unlessExpired(await resolveStep(work, refundHoldTransferId(refundId), postDecision()));
  await openTransferStep(work, {
    id: refundReturnTransferId(refundId),
    debitAccountId: clearingAccountId(p.currency),
    creditAccountId: p.payerAccountId,
    amount: refund.amount,
    currency: p.currency,
    reference: reference(p.id),
  });
  const changed = paymentChange(ports, ctx, loaded, [
    {
      type: 'PaymentRefunded',
      payload: {
        paymentId: p.id,
        refundId,
        amount: refund.amount,
        processorRefundId,
        transferIds: [refundHoldTransferId(refundId), refundReturnTransferId(refundId)],
      },
    },
    notification(ports, p, 'refunded', { refundId, refundAmount: refund.amount }, `.${refundId}`),
  ]);
  await work.commit([changed as Change<unknown>]);
  return changed.after as PaymentState;
}

/** Releases a refund's hold and records RefundFailed. */
async function failRefund(
  ports: PaymentPorts,
  ctx: CommandContext,
  paymentId: string,
  refundId: string,
  reason: string,
): Promise<PaymentState> {
  const loaded = await loadExisting(ports, ctx.tenantId, paymentId);
  const p = loaded.state;
  const refund = findRefund(p, refundId);
  if (!refund) throw new RefundNotFoundError(paymentId, refundId);
  if (refund.status === 'failed') return p;
  if (refund.status === 'succeeded') throw new RefundOutcomeConflictError(refundId, 'succeeded', 'failed');
  const work = new LedgerWork(ports, ctx);
  const hold = await work.transfer(refundHoldTransferId(refundId));
  if (hold.state?.status === 'pending') await resolveStep(work, hold.state.id, voidDecision);
  const changed = paymentChange(ports, ctx, loaded, [
    { type: 'RefundFailed', payload: { paymentId: p.id, refundId, reason } },
  ]);
  await work.commit([changed as Change<unknown>]);
  return changed.after as PaymentState;
}

/**
 * The processor reports a refund's final outcome (inbound webhook, issue 6). Idempotent: the outcome
 * already recorded is a no-op; a `requested` refund is completed (succeeded) or released (failed); an
 * outcome contradicting the recorded one is a RefundOutcomeConflictError. Unknown payment or refund:
 * PaymentNotFoundError / RefundNotFoundError.
 */
export async function recordRefundResult(
  ports: PaymentPorts,
  ctx: CommandContext,
  input: { readonly paymentId: string; readonly refundId: string; readonly outcome: 'succeeded' | 'failed' },
): Promise<PaymentState> {
  if (input.outcome === 'succeeded') {
    return completeRefund(ports, ctx, input.paymentId, input.refundId, null);
  }
  return failRefund(ports, ctx, input.paymentId, input.refundId, 'the processor reported the refund failed');
}
