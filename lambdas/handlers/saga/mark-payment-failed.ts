import { markPaymentFailed } from '../../application/payments/commands.ts';
import { failureReason } from './saga-error.ts';
import { sagaTask } from './saga-task.ts';

/** State MarkPaymentFailed: the caught error (`$.error`) becomes the payment's failure reason. */
export const handler = sagaTask('MarkPaymentFailed', (ports, ctx, input) =>
  markPaymentFailed(ports, ctx, { paymentId: input.paymentId, reason: failureReason(input.error) }),
);
