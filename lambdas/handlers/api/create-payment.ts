import { initiatePayment } from '../../application/payments/commands.ts';
import { paymentsApi } from '../../composition/ledger-api.ts';
import { feeFor } from '../../domain/payments/risk.ts';
import { commandRoute } from '../../shared/api.ts';
import { paymentIdFor } from '../../shared/command-ids.ts';
import { createPaymentBody } from './payment-schemas.ts';
import { presentPayment } from './present-payment.ts';

/** POST /payments (Idempotency-Key required): records the payment, starts its saga, answers 202. */
export const { main, handler } = commandRoute(paymentsApi, {
  body: createPaymentBody,
  requireIdempotencyKey: true,
  run: async ({ ports, startSettlement, feeBps }, { ctx, body, idempotencyKey }) => {
    const paymentId = paymentIdFor(ctx.tenantId, idempotencyKey ?? '');
    const fee = feeFor(body.amount, feeBps);
    const { payment } = await initiatePayment(ports, ctx, { ...body, paymentId, fee });
    await startSettlement(ctx.tenantId, payment.id, ctx.correlationId);
    return payment;
  },
  status: 202,
  present: presentPayment,
});
