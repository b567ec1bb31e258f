import type { PaymentCompensation, PaymentStep, StoredEvent } from '../events.ts';
import { assertNever } from '../exhaustive.ts';

export type PaymentStatus = 'pending' | 'reserved' | 'captured' | 'settled' | 'failed';

/** A refund of a settled payment: funds held from the merchant while the processor refunds, then paid out. */
export interface RefundState {
  readonly refundId: string;
  readonly amount: number;
  readonly status: 'requested' | 'succeeded' | 'failed';
  readonly processorRefundId: string | null;
  readonly reason: string | null;
  readonly requestedAt: string;
}

/** A payment as its stream defines it. */
export interface PaymentState {
  readonly id: string;
  readonly tenantId: string;
  readonly payerAccountId: string;
  readonly merchantAccountId: string;
  readonly amount: number;
  readonly currency: string;
  readonly paymentMethod: string;
  readonly fee: number;
  readonly description: string | null;
  readonly status: PaymentStatus;
  /** The two-phase transfer payer → clearing, once reserved. */
  readonly reserveTransferId: string | null;
  readonly risk: { readonly decision: 'approved' | 'rejected'; readonly reasons: readonly string[] } | null;
  readonly processorPaymentId: string | null;
  readonly settlementTransferIds: readonly string[];
  readonly failure: {
    readonly reason: string;
    readonly failedStep: PaymentStep;
    readonly compensations: readonly PaymentCompensation[];
  } | null;
  readonly reservationVoided: boolean;
  readonly captureRefund: {
    readonly outcome: 'refunded' | 'nothing-to-refund';
    readonly processorRefundId: string | null;
  } | null;
  readonly refunds: readonly RefundState[];
  /** Sum of succeeded refunds. */
  readonly refundedAmount: number;
  /** Notification ids already handed to the outbox. */
  readonly notifications: readonly string[];
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly version: number;
}

/** Bump whenever `evolvePayment` changes meaning. */
export const PAYMENT_REDUCER_VERSION = 1;

function withRefund(
  state: PaymentState,
  refundId: string,
  update: (refund: RefundState) => RefundState,
): PaymentState {
  return { ...state, refunds: state.refunds.map((r) => (r.refundId === refundId ? update(r) : r)) };
}

/** Applies one stored event to a payment; events of other streams leave it as it is. */
export function evolvePayment(state: PaymentState | null, event: StoredEvent): PaymentState | null {
  const next = applyPaymentEvent(state, event);
  return next && { ...next, version: event.version, updatedAt: event.occurredAt };
}

function applyPaymentEvent(state: PaymentState | null, event: StoredEvent): PaymentState | null {
  switch (event.type) {
    case 'PaymentInitiated':
      return {
        ...event.payload,
        id: event.payload.paymentId,
        tenantId: event.tenantId,
        status: 'pending',
        reserveTransferId: null,
        risk: null,
        processorPaymentId: null,
        settlementTransferIds: [],
        failure: null,
        reservationVoided: false,
        captureRefund: null,
        refunds: [],
        refundedAmount: 0,
        notifications: [],
        createdAt: event.occurredAt,
        updatedAt: event.occurredAt,
        version: 0,
      };
    case 'FundsReserved':
      return state && { ...state, status: 'reserved', reserveTransferId: event.payload.transferId };
    case 'RiskAssessed':
      return (
        state && { ...state, risk: { decision: event.payload.decision, reasons: event.payload.reasons } }
      );
    case 'PaymentCaptured':
      return (
        state && {
          ...state,
          // A late confirmation (a webhook) of a payment that already failed keeps it failed.
          status: state.status === 'failed' ? 'failed' : 'captured',
          processorPaymentId: event.payload.processorPaymentId,
        }
      );
    case 'PaymentSettled':
      return state && { ...state, status: 'settled', settlementTransferIds: event.payload.transferIds };
    case 'PaymentFailed':
      return (
        state && {
          ...state,
          status: 'failed',
          failure: {
            reason: event.payload.reason,
            failedStep: event.payload.failedStep,
            compensations: event.payload.compensations,
          },
        }
      );
    case 'ReservationVoided':
      return state && { ...state, reservationVoided: true };
    case 'CaptureRefunded':
      return (
        state && {
          ...state,
          captureRefund: {
            outcome: event.payload.outcome,
            processorRefundId: event.payload.processorRefundId,
          },
        }
      );
    case 'RefundRequested':
      return (
        state && {
          ...state,
          refunds: [
            ...state.refunds,
            {
              refundId: event.payload.refundId,
              amount: event.payload.amount,
              status: 'requested',
              processorRefundId: null,
              reason: null,
              requestedAt: event.occurredAt,
            },
          ],
        }
      );
    case 'PaymentRefunded':
      return (
        state && {
          ...withRefund(state, event.payload.refundId, (r) => ({
            ...r,
            status: 'succeeded',
            processorRefundId: event.payload.processorRefundId,
          })),
          refundedAmount: state.refundedAmount + event.payload.amount,
        }
      );
    case 'RefundFailed':
      return (
        state &&
        withRefund(state, event.payload.refundId, (r) => ({
          ...r,
          status: 'failed',
          reason: event.payload.reason,
        }))
      );
    case 'MerchantNotificationRequested':
      return state && { ...state, notifications: [...state.notifications, event.payload.notificationId] };
    case 'AccountOpened':
    case 'AccountFrozen':
    case 'AccountUnfrozen':
    case 'AccountClosed':
    case 'TransferPosted':
    case 'TransferPending':
    case 'PendingTransferPosted':
    case 'PendingTransferVoided':
    case 'PendingTransferExpired':
      return state;
    default:
      return assertNever(event);
  }
}

/** What may still be refunded: the captured amount minus refunds that succeeded or are in flight. */
export function refundableAmount(payment: PaymentState): number {
  const held = payment.refunds.filter((r) => r.status !== 'failed').reduce((sum, r) => sum + r.amount, 0);
  return payment.amount - held;
}
