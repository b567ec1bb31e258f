import { completePayment } from '../../application/payments/commands.ts';
import { sagaTask } from './saga-task.ts';

/** State Complete. */
export const handler = sagaTask('Complete', (ports, ctx, input) => completePayment(ports, ctx, input));
