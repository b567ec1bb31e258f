/**
 * The payment decisions: pure functions of the payment's state (and the command) that say whether a
 * step is already done, reject what may not happen, and give the payment events to record.
 */
import { differingField, SameAccountError } from '../errors.ts';
import type { PaymentCompensation, PaymentEvent, PaymentInitiated, PaymentStep } from '../events.ts';
import { assertPositiveAmount, currency as parseCurrency } from '../money.ts';
import type { MerchantNotification } from '../notifications.ts';
import { InvalidFeeError, PaymentExistsWithDifferentFieldsError, PaymentStateError } from './errors.ts';
import type { PaymentState, RefundState } from './payment.ts';

/** The processor idempotency key of a payment's capture. */
export const captureKey = (paymentId: string): string => `${paymentId}.capture`;
/** The processor idempotency key of the compensating refund of a capture. */
export const captureRefundKey = (paymentId: string): string => `${paymentId}.capture-refund`;

/** The reference every money leg of a payment carries. */
export const paymentReference = (paymentId: string): string => `payment:${paymentId}`;

/** What a new payment needs: the PaymentInitiated payload, its description optional. */
export type InitiatePaymentCommand = Omit<PaymentInitiated['payload'], 'description'> & {
  readonly description?: string | null;
};

/** The fields a retried payment must repeat (not the fee), in the order they are compared. */
const PAYMENT_FIELDS = [
  'payerAccountId',
  'merchantAccountId',
  'amount',
  'currency',
  'paymentMethod',
  'description',
] as const;

/** The new payment's event payload, or a rejection of what can be checked before anything is loaded. */
export function validatePayment(command: InitiatePaymentCommand) {
  const currency = parseCurrency(command.currency);
  const amount = assertPositiveAmount(command.amount);
  if (!Number.isSafeInteger(command.fee) || command.fee < 0 || command.fee >= amount) {
    throw new InvalidFeeError(amount, command.fee);
  }
  if (command.payerAccountId === command.merchantAccountId)
    throw new SameAccountError(command.payerAccountId);
  const payload = {
    paymentId: command.paymentId,
    payerAccountId: command.payerAccountId,
    merchantAccountId: command.merchantAccountId,
    amount,
    currency,
    paymentMethod: command.paymentMethod,
    fee: command.fee,
    description: command.description ?? null,
  };
  return payload;
}

/**
 * Decides a new payment. The same id with the same fields is already done (no events); with other
 * fields it is rejected, naming the first field that differs (the fee is not compared).
 */
export function decideInitiatePayment(
  command: InitiatePaymentCommand,
  state: PaymentState | null,
): PaymentEvent[] {
  const payload = validatePayment(command);
  if (!state) return [{ type: 'PaymentInitiated', payload }];
  const field = differingField(state, payload, PAYMENT_FIELDS);
  if (field !== undefined) throw new PaymentExistsWithDifferentFieldsError(command.paymentId, field);
  return [];
}

/** A forward step may not run once compensation has begun (a late duplicate must not undo it). */
export function assertNotCompensating(payment: PaymentState): void {
  if (
    payment.status === 'failed' ||
    payment.compensating ||
    payment.reservationVoided ||
    payment.captureRefund
  ) {
    throw new PaymentStateError(payment.id, payment.status, 'it is being compensated');
  }
}

/** A merchant notification put in the outbox (the payment stream); the relay delivers it. */
export function notification(
  payment: PaymentState,
  now: Date,
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
      occurredAt: now.toISOString(),
      data: { paymentId: payment.id, amount: payment.amount, currency: payment.currency, ...data },
    },
  };
}

/** NotifyMerchant's event: `payment.settled` with the fee and what the merchant got. */
export function settledNotification(p: PaymentState, now: Date): PaymentEvent {
  return notification(p, now, 'settled', { fee: p.fee, merchantAmount: p.amount - p.fee });
}

/** The step a payment stopped at, read from how far its events got. */
export function failedStepOf(p: PaymentState): PaymentStep {
  if (p.status === 'pending') return 'ReserveFunds';
  if (p.status === 'captured') return 'PostTransfer';
  if (p.status === 'settled') return 'NotifyMerchant';
  if (p.risk?.decision !== 'approved') return 'AssessRisk';
  return 'CaptureAtProcessor';
}

/** A payment may be marked failed only once its compensations ran (its reservation is voided). */
export function assertMayFail(p: PaymentState): void {
  if (p.status === 'settled') throw new PaymentStateError(p.id, p.status, 'a settled payment cannot fail');
  if (p.reserveTransferId && !p.reservationVoided) {
    throw new PaymentStateError(p.id, p.status, 'its reservation must be voided first');
  }
}

/** MarkPaymentFailed's events: why, which step, what was compensated, and the merchant's notification. */
export function paymentFailed(p: PaymentState, reason: string, now: Date): PaymentEvent[] {
  const compensations: PaymentCompensation[] = [];
  if (p.captureRefund) compensations.push('RefundAtProcessor');
  if (p.reserveTransferId) compensations.push('VoidReservation');
  return [
    {
      type: 'PaymentFailed',
      payload: { paymentId: p.id, reason, failedStep: failedStepOf(p), compensations },
    },
    notification(p, now, 'failed', { reason: reason.slice(0, 200) }),
  ];
}

/** A refund of the payment, if it was requested. */
export function findRefund(p: PaymentState, refundId: string): RefundState | undefined {
  return p.refunds.find((r) => r.refundId === refundId);
}
