import { reserveFunds } from '../../application/payments/commands.ts';
import { sagaTask } from '../../shared/payments.ts';

/** State ReserveFunds. */
export const handler = sagaTask('ReserveFunds', (ports, ctx, input) => reserveFunds(ports, ctx, input));
