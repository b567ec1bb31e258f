import { voidReservation } from '../../application/payments/commands.ts';
import { sagaTask } from './saga-task.ts';

/** State VoidReservation. */
export const handler = sagaTask('VoidReservation', (ports, ctx, input) => voidReservation(ports, ctx, input));
