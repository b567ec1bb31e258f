/*
 * Every saga step is idempotent by (paymentId, step) through the event store alone: a step first
 * reads the payment and returns at once if its event is already there; otherwise it appends that
 * event together with its money movements in ONE write conditioned on the payment stream's
 * version, and the money legs carry deterministic transfer ids (`<paymentId>-reserve`, …). A second
 * run, or a racing duplicate, either sees the event or loses the condition, reloads and sees it. No
 * extra idempotency table, and the record of "done" is the very event that did it. Calls to the
 * processor carry the processor's idempotency key (`<paymentId>.capture`), so they are safe to
 * repeat before our event is written. Each step is a declaration for `paymentStep` (step.ts).
 */

import { assertWithinCeiling } from '../../domain/ceilings.ts';
import { CurrencyMismatchError } from '../../domain/errors.ts';
import {
  assertMayFail,
  assertNotCompensating,
  captureKey,
  captureRefundKey,
  decideInitiatePayment,
  type InitiatePaymentCommand,
  paymentFailed,
  paymentReference,
  settledNotification,
  validatePayment,
} from '../../domain/payments/decide.ts';
import { CaptureConflictError, PaymentStateError, RiskRejectedError } from '../../domain/payments/errors.ts';
import { PAYMENT, type PaymentState } from '../../domain/payments/payment.ts';
import type { PaymentProcessor } from '../../domain/payments/processor.ts';
import { assessRules, type PaymentVelocity, type RiskLimits } from '../../domain/payments/risk.ts';
import type { LedgerPorts } from '../../domain/ports.ts';
import {
  clearingAccountId,
  clientAccountId,
  feeAccountId,
  feeTransferId,
  payoutTransferId,
  reserveTransferId,
} from '../../domain/system-ids.ts';
import { postDecision, unlessExpired, voidDecision } from '../../domain/transfer-decisions.ts';
import { openTransferStep, resolveStep } from '../commands.ts';
import { getMerchantAccount } from '../disputes.ts';
import { type CommandContext, LedgerWork } from '../unit-of-work.ts';
import { type PaymentRef, paymentStep } from './step.ts';

type WithProcessor = LedgerPorts & { readonly processor: PaymentProcessor };

export type InitiatePaymentInput = InitiatePaymentCommand;

/**
 * The fences checked before anything is written or the card touched: neither side is a system account,
 * and the merchant exists, is a `merchant` account and holds the payment's currency. Checked here, at
 * initiation, so the saga's shape is unchanged and a bad request starts no execution.
 */
async function assertPaymentParties(ports: LedgerPorts, tenantId: string, input: InitiatePaymentInput) {
  clientAccountId(input.payerAccountId);
  clientAccountId(input.merchantAccountId);
  const merchant = await getMerchantAccount(ports, tenantId, input.merchantAccountId);
  if (merchant.currency !== input.currency) {
    throw new CurrencyMismatchError(merchant.id, merchant.currency, input.currency);
  }
}

/**
 * Records a new payment (status `pending`); the saga does the rest. The same id with the same
 * fields returns the payment as it is now (`created: false`), with other fields it is an error.
 */
export async function initiatePayment(
  ports: LedgerPorts,
  ctx: CommandContext,
  input: InitiatePaymentInput,
): Promise<{ payment: PaymentState; created: boolean }> {
  validatePayment(input);
  await assertPaymentParties(ports, ctx.tenantId, input);
  const work = new LedgerWork(ports, ctx);
  const tracked = await work.paymentStream(input.paymentId);
  const existing = tracked.state;
  const events = decideInitiatePayment(input, existing);
  if (existing && events.length === 0) return { payment: existing, created: false };
  // Before the card is touched: the reservation would refuse it anyway, after the payment exists.
  if (!existing) assertWithinCeiling(input.amount, work.ceiling);
  for (const event of events) work.record(PAYMENT, tracked, event);
  await work.commit();
  return { payment: (await work.payment(input.paymentId)).state, created: true };
}

/** ReserveFunds: a two-phase transfer payer → clearing; insufficient funds is a business rejection. */
export const reserveFunds = paymentStep<PaymentRef>({
  isDone: (p) => p.reserveTransferId !== null,
  guard: assertNotCompensating,
  decide: async (p, _input, { work }) => {
    const transferId = reserveTransferId(p.id);
    await openTransferStep(work, {
      id: transferId,
      debitAccountId: p.payerAccountId,
      creditAccountId: clearingAccountId(p.currency),
      amount: p.amount,
      currency: p.currency,
      pending: true,
      reference: paymentReference(p.id),
    });
    return [{ type: 'FundsReserved', payload: { paymentId: p.id, transferId } }];
  },
});

/** AssessRisk: the tenant's amount limit and the payer's velocity; a rejection is recorded, then thrown. */
export const assessRisk = paymentStep<
  PaymentRef & { readonly limits: RiskLimits },
  LedgerPorts & { readonly velocity: PaymentVelocity }
>({
  isDone: (p) => p.risk !== null,
  guard: (p) => {
    assertNotCompensating(p);
    if (p.status !== 'reserved')
      throw new PaymentStateError(p.id, p.status, 'risk is assessed once reserved');
  },
  decide: async (p, { limits }, { ports }) => {
    const recent = await ports.velocity.recordAndCount({
      tenantId: p.tenantId,
      payerAccountId: p.payerAccountId,
      paymentId: p.id,
      // The payment's own time, not the clock: a retried assessment counts the same window.
      at: new Date(p.createdAt),
      windowSeconds: limits.velocityWindowSeconds,
    });
    const verdict = assessRules(limits, { amount: p.amount, recentPaymentsByPayer: recent });
    return [{ type: 'RiskAssessed', payload: { paymentId: p.id, ...verdict } }];
  },
  verify: (p) => {
    if (p.risk?.decision === 'rejected') throw new RiskRejectedError(p.id, p.risk.reasons);
  },
});

/** CaptureAtProcessor: captures the card with the processor's idempotency key; a decline is thrown. */
export const captureAtProcessor = paymentStep<PaymentRef, WithProcessor>({
  isDone: (p) => p.processorPaymentId !== null,
  guard: (p) => {
    assertNotCompensating(p);
    if (p.status !== 'reserved' || p.risk?.decision !== 'approved') {
      throw new PaymentStateError(p.id, p.status, 'capture needs reserved funds and an approved risk check');
    }
  },
  decide: async (p, _input, { ports }) => {
    const captured = await ports.processor.capture({
      paymentId: p.id,
      tenantId: p.tenantId,
      amount: p.amount,
      currency: p.currency,
      paymentMethod: p.paymentMethod,
      idempotencyKey: captureKey(p.id),
    });
    return [
      {
        type: 'PaymentCaptured',
        payload: { paymentId: p.id, processorPaymentId: captured.processorPaymentId },
      },
    ];
  },
});

/** A settlement leg out of clearing (to the merchant or the fee account). */
function payOut(work: LedgerWork, p: PaymentState, id: string, creditAccountId: string, amount: number) {
  const debitAccountId = clearingAccountId(p.currency);
  const leg = { id, debitAccountId, creditAccountId, amount, currency: p.currency };
  return openTransferStep(work, { ...leg, reference: paymentReference(p.id) });
}

/**
 * PostTransfer, the saga's pivot: posts the reservation, pays the merchant (amount − fee) and the fee
 * account out of clearing, and records PaymentSettled, all in ONE atomic append.
 */
export const postPaymentTransfer = paymentStep<PaymentRef>({
  isDone: (p) => p.status === 'settled',
  guard: (p) => {
    assertNotCompensating(p);
    if (p.status !== 'captured' || !p.reserveTransferId) {
      throw new PaymentStateError(p.id, p.status, 'only a captured payment is posted');
    }
  },
  decide: async (p, _input, { work }) => {
    const reserveId = reserveTransferId(p.id);
    unlessExpired(await resolveStep(work, p.reserveTransferId ?? reserveId, postDecision()));
    const merchantAmount = p.amount - p.fee;
    const transferIds = [p.reserveTransferId ?? reserveId, payoutTransferId(p.id)];
    await payOut(work, p, payoutTransferId(p.id), p.merchantAccountId, merchantAmount);
    if (p.fee > 0) {
      transferIds.push(feeTransferId(p.id));
      await payOut(work, p, feeTransferId(p.id), feeAccountId(p.currency), p.fee);
    }
    return [
      { type: 'PaymentSettled', payload: { paymentId: p.id, merchantAmount, fee: p.fee, transferIds } },
    ];
  },
});

/** NotifyMerchant: puts `payment.settled` in the outbox (the payment stream); the relay delivers it. */
export const notifyMerchant = paymentStep<PaymentRef>({
  isDone: (p) => p.notifications.includes(`${p.id}.settled`),
  guard: (p) => {
    if (p.status !== 'settled')
      throw new PaymentStateError(p.id, p.status, 'only a settled payment is notified');
  },
  decide: (p, _input, { now }) => [settledNotification(p, now)],
});

/** Complete: checks the saga's end state (settled, merchant notification in the outbox). Writes nothing. */
export const completePayment = paymentStep<PaymentRef>({
  isDone: () => true,
  decide: () => [],
  verify: (p) => {
    if (p.status !== 'settled' || !p.notifications.includes(`${p.id}.settled`)) {
      throw new PaymentStateError(p.id, p.status, 'a completed payment is settled and notified');
    }
  },
});

/** A settled payment is refunded through the refunds API, never by the saga's compensation. */
function assertNotSettled(p: PaymentState): void {
  if (p.status === 'settled') {
    throw new PaymentStateError(
      p.id,
      p.status,
      'a settled payment is refunded with POST /payments/{id}/refunds',
    );
  }
}

/** The capture may have happened: the risk check approved it (otherwise it was never attempted). */
const captureAttempted = (p: PaymentState): boolean => p.risk?.decision === 'approved';

/**
 * RefundAtProcessor's fence: CompensationStarted, appended before the processor is called. A forward
 * step still running (a PostTransfer the state machine gave up on) then loses its append, or has
 * already settled and this step refuses: the card is never refunded for a payment that settles. Found
 * by the model check (models/settlement.pml, mutant refund-before-fence).
 */
const fenceCompensation = paymentStep<PaymentRef>({
  isDone: (p) => p.compensating || p.captureRefund !== null || !captureAttempted(p),
  guard: assertNotSettled,
  decide: (p) => [{ type: 'CompensationStarted', payload: { paymentId: p.id } }],
});

/** The processor's refund of the capture, once fenced. */
const refundCapture = paymentStep<PaymentRef, WithProcessor>({
  isDone: (p) => p.captureRefund !== null,
  guard: assertNotSettled,
  decide: async (p, _input, { ports }) => {
    if (!captureAttempted(p)) return [];
    const refunded = await ports.processor.refund({
      paymentId: p.id,
      tenantId: p.tenantId,
      amount: p.amount,
      currency: p.currency,
      processorPaymentId: p.processorPaymentId,
      captureIdempotencyKey: captureKey(p.id),
      idempotencyKey: captureRefundKey(p.id),
    });
    const { processorRefundId, outcome } = refunded;
    return [{ type: 'CaptureRefunded', payload: { paymentId: p.id, processorRefundId, outcome } }];
  },
});

/**
 * RefundAtProcessor (compensation): refunds a capture that may have happened. It asks by the capture's
 * idempotency key too, so a capture that timed out is found (or tombstoned: `nothing-to-refund`).
 * Skipped when capture was never attempted (risk not approved). Fences first (see fenceCompensation).
 */
export async function refundAtProcessor(
  ports: WithProcessor,
  ctx: CommandContext,
  input: PaymentRef,
): Promise<PaymentState> {
  await fenceCompensation(ports, ctx, input);
  return refundCapture(ports, ctx, input);
}

/**
 * VoidReservation (compensation): voids the pending reserve, if there is one, and records that the
 * reservation is gone in the same write. Recording it even when nothing was reserved fences off a
 * late ReserveFunds (its append would lose the payment stream's condition).
 */
export const voidReservation = paymentStep<PaymentRef>({
  isDone: (p) => p.reservationVoided,
  guard: (p) => {
    if (p.status === 'settled') {
      throw new PaymentStateError(p.id, p.status, 'a settled payment has no reservation to void');
    }
  },
  decide: async (p, _input, { work }) => {
    const reserve = await work.transfer(reserveTransferId(p.id));
    if (reserve.state?.status === 'pending') await resolveStep(work, reserve.state.id, voidDecision);
    const transferId = reserve.state ? reserve.state.id : null;
    return [{ type: 'ReservationVoided', payload: { paymentId: p.id, transferId } }];
  },
});

/**
 * MarkPaymentFailed (last compensation): records why, which step, what was compensated, and tells the
 * merchant. `reason` comes formatted by the handler layer (`"<ErrorClass>: <message>"`, ≤ 500 chars).
 */
export const markPaymentFailed = paymentStep<PaymentRef & { readonly reason: string }>({
  isDone: (p) => p.status === 'failed',
  guard: assertMayFail,
  decide: (p, { reason }, { now }) => paymentFailed(p, reason, now),
});

/**
 * The processor confirms a capture (inbound webhook, issue 6). Idempotent. A payment still waiting for
 * its capture answer takes it (the saga's capture step then finds it done); a failed payment whose
 * capture was refunded needs nothing; anything else contradicts the ledger and is an error.
 */
export const confirmCapture = paymentStep<PaymentRef & { readonly processorPaymentId: string }>({
  isDone: (p, input) => p.processorPaymentId === input.processorPaymentId,
  guard: (p, input) => {
    if (p.processorPaymentId) {
      const detail = `captured as ${p.processorPaymentId}, confirmed as ${input.processorPaymentId}`;
      throw new CaptureConflictError(p.id, detail);
    }
    if ((p.status === 'failed' || p.captureRefund) && p.captureRefund?.outcome !== 'refunded') {
      throw new CaptureConflictError(p.id, 'a capture was confirmed for a payment that failed without one');
    }
  },
  decide: (p, { processorPaymentId }) =>
    p.status === 'failed' || p.captureRefund
      ? []
      : [{ type: 'PaymentCaptured', payload: { paymentId: p.id, processorPaymentId } }],
});
