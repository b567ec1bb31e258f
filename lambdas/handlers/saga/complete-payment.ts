import { completePayment } from '../../application/payments/commands.ts';
import { sagaDeps } from '../../composition/saga.ts';
import { sagaTask } from './saga-task.ts';

/** State Complete. */
export const { main, handler } = sagaTask('Complete', sagaDeps, (deps, ctx, input) =>
  completePayment(deps.ports, ctx, input),
);
