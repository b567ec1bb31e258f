import { LedgerError } from '../errors.ts';

/** A card capture at the payment processor, keyed by the processor's own idempotency key. */
export interface CaptureRequest {
  readonly paymentId: string;
  readonly tenantId: string;
  readonly amount: number;
  readonly currency: string;
  /** The processor's token for the payer's card (e.g. `pm_card_visa`). */
  readonly paymentMethod: string;
  /** Sent as the processor's `Idempotency-Key`: the same key never captures twice. */
  readonly idempotencyKey: string;
}

export interface CaptureResult {
  readonly processorPaymentId: string;
}

export interface RefundRequest {
  readonly paymentId: string;
  readonly tenantId: string;
  readonly amount: number;
  readonly currency: string;
  /** The capture to refund; absent when it is unknown whether the capture happened (a timed-out capture). */
  readonly processorPaymentId: string | null;
  /** The capture's idempotency key, so the processor can find a capture we never heard back about. */
  readonly captureIdempotencyKey: string;
  readonly idempotencyKey: string;
}

export interface RefundResult {
  readonly processorRefundId: string | null;
  /** `nothing-to-refund`: the processor has no capture under that key (it never happened). */
  readonly outcome: 'refunded' | 'nothing-to-refund';
}

/** The card processor, as the saga sees it. Errors: {@link PaymentDeclinedError} is an answer; anything else is transient. */
export interface PaymentProcessor {
  capture(request: CaptureRequest): Promise<CaptureResult>;
  refund(request: RefundRequest): Promise<RefundResult>;
}

/** The processor said no (card declined, fraud, …): final, never retried. */
export class PaymentDeclinedError extends LedgerError {
  override readonly name = 'PaymentDeclinedError';
  readonly kind = 'rejected' as const;
  readonly code = 'payment-declined';
  readonly declineCode: string;
  constructor(paymentId: string, declineCode: string, options?: ErrorOptions) {
    super(`The processor declined payment ${paymentId}: ${declineCode}`, { paymentId, declineCode }, options);
    this.declineCode = declineCode;
  }
}

/** The processor could not be reached or failed (timeout, 5xx, circuit open): retry later. */
export class ProcessorUnavailableError extends Error {
  override readonly name = 'ProcessorUnavailableError';
}
