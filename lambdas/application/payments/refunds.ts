/**
 * Refunds of settled payments: a hold on the merchant's funds while the processor refunds, then the
 * payout to the payer, or the hold's release when the refund fails.
 */

import { assertPositiveAmount } from '../../domain/money.ts';
import { captureKey, findRefund, notification, paymentReference } from '../../domain/payments/decide.ts';
import {
  PaymentNotRefundableError,
  RefundExceedsCapturedError,
  RefundExistsWithDifferentFieldsError,
  RefundNotFoundError,
  RefundOutcomeConflictError,
} from '../../domain/payments/errors.ts';
import { type PaymentState, type RefundState, refundableAmount } from '../../domain/payments/payment.ts';
import { PaymentDeclinedError, type PaymentProcessor } from '../../domain/payments/processor.ts';
import type { LedgerPorts } from '../../domain/ports.ts';
import { clearingAccountId, refundHoldTransferId, refundReturnTransferId } from '../../domain/system-ids.ts';
import { postDecision, unlessExpired, voidDecision } from '../../domain/transfer-decisions.ts';
import { openTransferStep, resolveStep } from '../commands.ts';
import type { CommandContext } from '../unit-of-work.ts';
import { type PaymentRef, paymentStep } from './step.ts';

export interface RefundPaymentInput {
  readonly paymentId: string;
  /** Deterministic from the request's Idempotency-Key. */
  readonly refundId: string;
  readonly amount: number;
}

/** The refund, which the step's guard made sure exists. */
function refundOf(p: PaymentState, refundId: string): RefundState {
  const refund = findRefund(p, refundId);
  if (!refund) throw new RefundNotFoundError(p.id, refundId);
  return refund;
}

/** RefundRequested with the hold merchant → clearing (two-phase); a known refund id is done. */
const requestRefund = paymentStep<RefundPaymentInput>({
  isDone: (p, { refundId }) => findRefund(p, refundId) !== undefined,
  guard: (p, { amount }) => {
    if (p.status !== 'settled') throw new PaymentNotRefundableError(p.id, p.status);
    const refundable = refundableAmount(p);
    if (amount > refundable) throw new RefundExceedsCapturedError(p.id, refundable, amount);
  },
  decide: async (p, { refundId, amount }, { work }) => {
    await openTransferStep(work, {
      id: refundHoldTransferId(refundId),
      debitAccountId: p.merchantAccountId,
      creditAccountId: clearingAccountId(p.currency),
      amount,
      currency: p.currency,
      pending: true,
      reference: paymentReference(p.id),
    });
    return [{ type: 'RefundRequested', payload: { paymentId: p.id, refundId, amount } }];
  },
  verify: (p, { refundId, amount }) => {
    if (refundOf(p, refundId).amount !== amount) throw new RefundExistsWithDifferentFieldsError(refundId);
  },
});

/**
 * Refunds (part of) a settled payment: holds the amount on the merchant's account (two-phase, merchant
 * → clearing) with RefundRequested, refunds at the processor under the refund's own idempotency key,
 * then posts the hold and pays the payer back (clearing → payer) with PaymentRefunded, atomically.
 * A decline releases the hold (RefundFailed). Refunds never add up to more than was captured.
 * A processor outage leaves the refund `requested` (funds held): retrying converges.
 */
export async function refundPayment(
  ports: LedgerPorts & { readonly processor: PaymentProcessor },
  ctx: CommandContext,
  input: RefundPaymentInput,
): Promise<{ payment: PaymentState; refund: RefundState }> {
  const amount = assertPositiveAmount(input.amount);
  const { refundId } = input;
  const p = await requestRefund(ports, ctx, { ...input, amount });
  const existing = refundOf(p, refundId);
  if (existing.status !== 'requested') return { payment: p, refund: existing };
  let processorRefundId: string | null;
  try {
    const refunded = await ports.processor.refund({
      paymentId: p.id,
      tenantId: p.tenantId,
      amount,
      currency: p.currency,
      processorPaymentId: p.processorPaymentId,
      captureIdempotencyKey: captureKey(p.id),
      idempotencyKey: refundId,
    });
    if (refunded.outcome === 'nothing-to-refund') {
      const reason = 'the processor has no capture to refund';
      const failed = await failRefund(ports, ctx, { paymentId: p.id, refundId, reason });
      return { payment: failed, refund: refundOf(failed, refundId) };
    }
    processorRefundId = refunded.processorRefundId;
  } catch (error) {
    if (error instanceof PaymentDeclinedError) {
      await failRefund(ports, ctx, { paymentId: p.id, refundId, reason: `declined: ${error.declineCode}` });
    }
    throw error;
  }
  const done = await completeRefund(ports, ctx, { paymentId: p.id, refundId, processorRefundId });
  return { payment: done, refund: refundOf(done, refundId) };
}

type RefundRef = PaymentRef & { readonly refundId: string };

/** Posts a refund's hold and pays the payer back, with PaymentRefunded and the merchant's notification. */
const completeRefund = paymentStep<RefundRef & { readonly processorRefundId: string | null }>({
  isDone: (p, { refundId }) => findRefund(p, refundId)?.status === 'succeeded',
  guard: (p, { refundId }) => {
    if (refundOf(p, refundId).status === 'failed') {
      throw new RefundOutcomeConflictError(refundId, 'failed', 'succeeded');
    }
  },
  decide: async (p, { refundId, processorRefundId }, { work, now }) => {
    const refund = refundOf(p, refundId);
    // The processor has refunded: a fact, booked even if the merchant or the payer is frozen by now.
    const fact = { fact: true } as const;
    unlessExpired(await resolveStep(work, refundHoldTransferId(refundId), postDecision(undefined, fact)));
    await openTransferStep(work, {
      id: refundReturnTransferId(refundId),
      debitAccountId: clearingAccountId(p.currency),
      creditAccountId: p.payerAccountId,
      amount: refund.amount,
      currency: p.currency,
      reference: paymentReference(p.id),
      ...fact,
    });
    const transferIds = [refundHoldTransferId(refundId), refundReturnTransferId(refundId)];
    const { amount } = refund;
    return [
      {
        type: 'PaymentRefunded',
        payload: { paymentId: p.id, refundId, amount, processorRefundId, transferIds },
      },
      notification(p, now, 'refunded', { refundId, refundAmount: amount }, `.${refundId}`),
    ];
  },
});

/** Releases a refund's hold and records RefundFailed. */
const failRefund = paymentStep<RefundRef & { readonly reason: string }>({
  isDone: (p, { refundId }) => findRefund(p, refundId)?.status === 'failed',
  guard: (p, { refundId }) => {
    if (refundOf(p, refundId).status === 'succeeded') {
      throw new RefundOutcomeConflictError(refundId, 'succeeded', 'failed');
    }
  },
  decide: async (p, { refundId, reason }, { work }) => {
    const hold = await work.transfer(refundHoldTransferId(refundId));
    if (hold.state?.status === 'pending') await resolveStep(work, hold.state.id, voidDecision);
    return [{ type: 'RefundFailed', payload: { paymentId: p.id, refundId, reason } }];
  },
});

/**
 * The processor reports a refund's final outcome (inbound webhook, issue 6). Idempotent: the outcome
 * already recorded is a no-op; a `requested` refund is completed (succeeded) or released (failed); an
 * outcome contradicting the recorded one is a RefundOutcomeConflictError. Unknown payment or refund:
 * PaymentNotFoundError / RefundNotFoundError.
 */
export async function recordRefundResult(
  ports: LedgerPorts,
  ctx: CommandContext,
  input: { readonly paymentId: string; readonly refundId: string; readonly outcome: 'succeeded' | 'failed' },
): Promise<PaymentState> {
  const { paymentId, refundId } = input;
  if (input.outcome === 'succeeded') {
    return completeRefund(ports, ctx, { paymentId, refundId, processorRefundId: null });
  }
  const reason = 'the processor reported the refund failed';
  return failRefund(ports, ctx, { paymentId, refundId, reason });
}
