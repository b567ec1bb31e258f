import { paymentProcessor } from '../../composition/saga.ts';
import { refundAtProcessor } from '../../domain/payments/commands.ts';
import { sagaTask } from '../../shared/payments.ts';

/** State RefundAtProcessor. */
export const handler = sagaTask('RefundAtProcessor', (ports, ctx, input) =>
  refundAtProcessor({ ...ports, processor: paymentProcessor() }, ctx, input),
);
