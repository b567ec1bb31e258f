import { reserveFunds } from '../../application/payments/commands.ts';
import { sagaTask } from './saga-task.ts';

/** State ReserveFunds. */
export const handler = sagaTask('ReserveFunds', (ports, ctx, input) => reserveFunds(ports, ctx, input));
