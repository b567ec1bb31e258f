import type { PaymentState, RefundState } from '../../domain/payments/payment.ts';

/** The public shape of a refund. */
export function presentRefund(paymentId: string, refund: RefundState) {
  return {
    id: refund.refundId,
    paymentId,
    amount: refund.amount,
    status: refund.status,
    processorRefundId: refund.processorRefundId,
    reason: refund.reason,
    requestedAt: refund.requestedAt,
  };
}

/** The public shape of a payment: status, the money legs, what failed and what was compensated. */
export function presentPayment(payment: PaymentState) {
  return {
    id: payment.id,
    status: payment.status,
    payerAccountId: payment.payerAccountId,
    merchantAccountId: payment.merchantAccountId,
    amount: payment.amount,
    currency: payment.currency,
    fee: payment.fee,
    paymentMethod: payment.paymentMethod,
    description: payment.description,
    processorPaymentId: payment.processorPaymentId,
    risk: payment.risk,
    transferIds: [
      ...(payment.reserveTransferId ? [payment.reserveTransferId] : []),
      ...payment.settlementTransferIds.filter((t) => t !== payment.reserveTransferId),
    ],
    failure: payment.failure,
    reservationVoided: payment.reservationVoided,
    captureRefund: payment.captureRefund,
    refundedAmount: payment.refundedAmount,
    refunds: payment.refunds.map((r) => presentRefund(payment.id, r)),
    createdAt: payment.createdAt,
    updatedAt: payment.updatedAt,
    version: payment.version,
  };
}
