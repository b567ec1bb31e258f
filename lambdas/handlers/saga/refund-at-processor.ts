import { refundAtProcessor } from '../../application/payments/commands.ts';
import { paymentProcessor } from '../../shared/payments.ts';
import { sagaTask } from './saga-task.ts';

/** State RefundAtProcessor. */
export const handler = sagaTask('RefundAtProcessor', (ports, ctx, input) =>
  refundAtProcessor({ ...ports, processor: paymentProcessor() }, ctx, input),
);
