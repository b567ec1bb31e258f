import { ExistsWithDifferentFieldsError, LedgerError } from '../errors.ts';

export class PaymentNotFoundError extends LedgerError {
  override readonly name = 'PaymentNotFoundError';
  readonly kind = 'not-found' as const;
  readonly code = 'payment-not-found';
  constructor(paymentId: string, options?: ErrorOptions) {
    super(`Payment ${paymentId} does not exist`, { paymentId }, options);
  }
}

export class PaymentExistsWithDifferentFieldsError extends ExistsWithDifferentFieldsError {
  override readonly name = 'PaymentExistsWithDifferentFieldsError';
  constructor(paymentId: string, field: string, options?: ErrorOptions) {
    super('Payment', 'paymentId', paymentId, field, options);
  }
}

export class InvalidFeeError extends LedgerError {
  override readonly name = 'InvalidFeeError';
  readonly kind = 'rejected' as const;
  readonly code = 'invalid-fee';
  constructor(amount: number, fee: number, options?: ErrorOptions) {
    super(`A fee of ${fee} does not fit a payment of ${amount}`, { amount, fee }, options);
  }
}

/** The risk rules said no: final, never retried. */
export class RiskRejectedError extends LedgerError {
  override readonly name = 'RiskRejectedError';
  readonly kind = 'rejected' as const;
  readonly code = 'risk-rejected';
  readonly reasons: readonly string[];
  constructor(paymentId: string, reasons: readonly string[], options?: ErrorOptions) {
    super(
      `Payment ${paymentId} was rejected: ${reasons.join(', ')}`,
      { paymentId, reasons: reasons.join(',') },
      options,
    );
    this.reasons = reasons;
  }
}

/** A saga step found the payment in a state it cannot act on (e.g. a compensation of a settled payment). */
export class PaymentStateError extends LedgerError {
  override readonly name = 'PaymentStateError';
  readonly kind = 'rejected' as const;
  readonly code = 'payment-state';
  constructor(paymentId: string, status: string, wanted: string, options?: ErrorOptions) {
    super(`Payment ${paymentId} is ${status}; ${wanted}`, { paymentId, paymentStatus: status }, options);
  }
}

export class PaymentNotRefundableError extends LedgerError {
  override readonly name = 'PaymentNotRefundableError';
  readonly kind = 'rejected' as const;
  readonly code = 'payment-not-refundable';
  constructor(paymentId: string, status: string, options?: ErrorOptions) {
    super(
      `Payment ${paymentId} is ${status}; only a settled payment can be refunded`,
      { paymentId, paymentStatus: status },
      options,
    );
  }
}

/** Refunds never add up to more than was captured. */
export class RefundExceedsCapturedError extends LedgerError {
  override readonly name = 'RefundExceedsCapturedError';
  readonly kind = 'rejected' as const;
  readonly code = 'refund-exceeds-captured';
  constructor(paymentId: string, refundable: number, requested: number, options?: ErrorOptions) {
    super(
      `Payment ${paymentId} has ${refundable} left to refund, ${requested} requested`,
      { paymentId, refundable, requested },
      options,
    );
  }
}

export class RefundNotFoundError extends LedgerError {
  override readonly name = 'RefundNotFoundError';
  readonly kind = 'not-found' as const;
  readonly code = 'refund-not-found';
  constructor(paymentId: string, refundId: string, options?: ErrorOptions) {
    super(`Payment ${paymentId} has no refund ${refundId}`, { paymentId, refundId }, options);
  }
}

/** A refund has one field a retry can change: its amount. */
export class RefundExistsWithDifferentFieldsError extends ExistsWithDifferentFieldsError {
  override readonly name = 'RefundExistsWithDifferentFieldsError';
  constructor(refundId: string, options?: ErrorOptions) {
    super('Refund', 'refundId', refundId, 'amount', options);
  }
}

/** The processor reported an outcome that contradicts one already recorded. */
export class RefundOutcomeConflictError extends LedgerError {
  override readonly name = 'RefundOutcomeConflictError';
  readonly kind = 'rejected' as const;
  readonly code = 'refund-outcome-conflict';
  constructor(refundId: string, recorded: string, reported: string, options?: ErrorOptions) {
    super(
      `Refund ${refundId} is ${recorded}; the processor now reports ${reported}`,
      { refundId, recorded, reported },
      options,
    );
  }
}

/** The processor confirmed a capture that contradicts the ledger (another id, or a failed payment never refunded). */
export class CaptureConflictError extends LedgerError {
  override readonly name = 'CaptureConflictError';
  readonly kind = 'rejected' as const;
  readonly code = 'capture-conflict';
  constructor(paymentId: string, detail: string, options?: ErrorOptions) {
    super(`Payment ${paymentId}: ${detail}`, { paymentId }, options);
  }
}
