import { markPaymentFailed } from '../../domain/payments/commands.ts';
import { sagaTask } from '../../shared/payments.ts';

/** State MarkPaymentFailed. */
export const handler = sagaTask('MarkPaymentFailed', (ports, ctx, input) =>
  markPaymentFailed(ports, ctx, input),
);
