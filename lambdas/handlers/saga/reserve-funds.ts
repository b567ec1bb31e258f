import { reserveFunds } from '../../application/payments/commands.ts';
import { sagaDeps } from '../../composition/saga.ts';
import { sagaTask } from './saga-task.ts';

/** State ReserveFunds. */
export const { main, handler } = sagaTask('ReserveFunds', sagaDeps, (deps, ctx, input) =>
  reserveFunds(deps.ports, ctx, input),
);
