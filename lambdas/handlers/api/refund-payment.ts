import { refundPayment } from '../../application/payments/refunds.ts';
import { refundsApi } from '../../composition/ledger-api.ts';
import { commandRoute } from '../../shared/api.ts';
import { refundIdFor } from '../../shared/command-ids.ts';
import { refundPaymentBody } from './payment-schemas.ts';
import { presentRefund } from './present-payment.ts';

/** POST /payments/{id}/refunds (Idempotency-Key required): refunds at the processor, then the ledger legs. */
export const { main, handler } = commandRoute(refundsApi, {
  body: refundPaymentBody,
  requireIdempotencyKey: true,
  run: ({ ports, processor }, { ctx, body, pathParameters, idempotencyKey }) => {
    const paymentId = pathParameters.id ?? '';
    const refundId = refundIdFor(ctx.tenantId, paymentId, idempotencyKey ?? '');
    return refundPayment({ ...ports, processor }, ctx, {
      paymentId,
      refundId,
      amount: body.amount,
    });
  },
  status: 201,
  present: ({ payment, refund }) => presentRefund(payment.id, refund),
});
