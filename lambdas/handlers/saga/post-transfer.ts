import { postPaymentTransfer } from '../../application/payments/commands.ts';
import { sagaTask } from './saga-task.ts';

/** State PostTransfer. */
export const handler = sagaTask('PostTransfer', (ports, ctx, input) =>
  postPaymentTransfer(ports, ctx, input),
);
