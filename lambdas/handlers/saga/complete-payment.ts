import { completePayment } from '../../application/payments/commands.ts';
import { sagaTask } from '../../shared/payments.ts';

/** State Complete. */
export const handler = sagaTask('Complete', (ports, ctx, input) => completePayment(ports, ctx, input));
