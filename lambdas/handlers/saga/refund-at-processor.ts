import { refundAtProcessor } from '../../application/payments/commands.ts';
import { paymentProcessor, sagaTask } from '../../shared/payments.ts';

/** State RefundAtProcessor. */
export const handler = sagaTask('RefundAtProcessor', (ports, ctx, input) =>
  refundAtProcessor({ ...ports, processor: paymentProcessor() }, ctx, input),
);
