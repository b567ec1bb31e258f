import { type Aggregate, eventTypes, opened, reducerOf } from '../aggregate.ts';
import type {
  PaymentCompensation,
  PaymentEvent,
  PaymentInitiated,
  PaymentStep,
  StoredEvent,
} from '../events.ts';
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
export interface PaymentState extends Omit<PaymentInitiated['payload'], 'paymentId'> {
  readonly id: string;
  readonly tenantId: string;
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
  /** The compensations have begun (CompensationStarted): no forward step may run any more. */
  readonly compensating: boolean;
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

/** Bump whenever the payment's evolve changes meaning. */
export const PAYMENT_REDUCER_VERSION = 2;

function withRefund(
  state: PaymentState,
  refundId: string,
  update: (refund: RefundState) => RefundState,
): PaymentState {
  return { ...state, refunds: state.refunds.map((r) => (r.refundId === refundId ? update(r) : r)) };
}

function initiated(event: StoredEvent<PaymentInitiated>): PaymentState {
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
    compensating: false,
    reservationVoided: false,
    captureRefund: null,
    refunds: [],
    refundedAmount: 0,
    notifications: [],
    createdAt: event.occurredAt,
    updatedAt: event.occurredAt,
    version: 0,
  };
}

function applyPaymentEvent(state: PaymentState | null, event: StoredEvent<PaymentEvent>): PaymentState {
  if (event.type === 'PaymentInitiated') return initiated(event);
  const payment = opened(state, event);
  switch (event.type) {
    case 'FundsReserved':
      return { ...payment, status: 'reserved', reserveTransferId: event.payload.transferId };
    case 'RiskAssessed':
      return { ...payment, risk: { decision: event.payload.decision, reasons: event.payload.reasons } };
    case 'PaymentCaptured':
      return {
        ...payment,
        // A late confirmation (a webhook) of a payment that already failed keeps it failed.
        status: payment.status === 'failed' ? 'failed' : 'captured',
        processorPaymentId: event.payload.processorPaymentId,
      };
    case 'PaymentSettled':
      return { ...payment, status: 'settled', settlementTransferIds: event.payload.transferIds };
    case 'PaymentFailed':
      return {
        ...payment,
        status: 'failed',
        failure: {
          reason: event.payload.reason,
          failedStep: event.payload.failedStep,
          compensations: event.payload.compensations,
        },
      };
    case 'CompensationStarted':
      return { ...payment, compensating: true };
    case 'ReservationVoided':
      return { ...payment, reservationVoided: true };
    case 'CaptureRefunded':
      return {
        ...payment,
        captureRefund: {
          outcome: event.payload.outcome,
          processorRefundId: event.payload.processorRefundId,
        },
      };
    case 'RefundRequested':
      return {
        ...payment,
        refunds: [
          ...payment.refunds,
          {
            refundId: event.payload.refundId,
            amount: event.payload.amount,
            status: 'requested',
            processorRefundId: null,
            reason: null,
            requestedAt: event.occurredAt,
          },
        ],
      };
    case 'PaymentRefunded':
      return {
        ...withRefund(payment, event.payload.refundId, (r) => ({
          ...r,
          status: 'succeeded',
          processorRefundId: event.payload.processorRefundId,
        })),
        refundedAmount: payment.refundedAmount + event.payload.amount,
      };
    case 'RefundFailed':
      return withRefund(payment, event.payload.refundId, (r) => ({
        ...r,
        status: 'failed',
        reason: event.payload.reason,
      }));
    case 'MerchantNotificationRequested':
      return { ...payment, notifications: [...payment.notifications, event.payload.notificationId] };
    default:
      return assertNever(event);
  }
}

/** The payment aggregate: the settlement saga's progress, compensations, refunds and outbox. */
export const PAYMENT: Aggregate<PaymentState, PaymentEvent> = {
  streamType: 'payment',
  eventTypes: eventTypes<PaymentEvent>({
    PaymentInitiated: true,
    FundsReserved: true,
    RiskAssessed: true,
    PaymentCaptured: true,
    PaymentSettled: true,
    PaymentFailed: true,
    CompensationStarted: true,
    ReservationVoided: true,
    CaptureRefunded: true,
    RefundRequested: true,
    PaymentRefunded: true,
    RefundFailed: true,
    MerchantNotificationRequested: true,
  }),
  initialState: null,
  evolve: (state, event) => ({
    ...applyPaymentEvent(state, event),
    version: event.version,
    updatedAt: event.occurredAt,
  }),
  reducerVersion: PAYMENT_REDUCER_VERSION,
};

/** Applies one event read from a payment stream (the store boundary). */
export const evolvePayment: (state: PaymentState | null, event: StoredEvent) => PaymentState =
  reducerOf(PAYMENT);

/** What may still be refunded: the captured amount minus refunds that succeeded or are in flight. */
export function refundableAmount(payment: PaymentState): number {
  const held = payment.refunds.filter((r) => r.status !== 'failed').reduce((sum, r) => sum + r.amount, 0);
  return payment.amount - held;
}
