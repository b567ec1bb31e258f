import { postPaymentTransfer } from '../../application/payments/commands.ts';
import { sagaTask } from '../../shared/payments.ts';

/** State PostTransfer. */
export const handler = sagaTask('PostTransfer', (ports, ctx, input) =>
  postPaymentTransfer(ports, ctx, input),
);
