import { voidReservation } from '../../application/payments/commands.ts';
import { sagaDeps } from '../../composition/saga.ts';
import { sagaTask } from './saga-task.ts';

/** State VoidReservation. */
export const { main, handler } = sagaTask('VoidReservation', sagaDeps, (deps, ctx, input) =>
  voidReservation(deps.ports, ctx, input),
);
