import { markPaymentFailed } from '../../application/payments/commands.ts';
import { sagaDeps } from '../../composition/saga.ts';
import { failureReason } from './saga-error.ts';
import { sagaTask } from './saga-task.ts';

/** State MarkPaymentFailed: the caught error (`$.error`) becomes the payment's failure reason. */
export const { main, handler } = sagaTask('MarkPaymentFailed', sagaDeps, (deps, ctx, input) =>
  markPaymentFailed(deps.ports, ctx, { paymentId: input.paymentId, reason: failureReason(input.error) }),
);
