import { postPaymentTransfer } from '../../application/payments/commands.ts';
import { sagaDeps } from '../../composition/saga.ts';
import { sagaTask } from './saga-task.ts';

/** State PostTransfer. */
export const { main, handler } = sagaTask('PostTransfer', sagaDeps, (deps, ctx, input) =>
  postPaymentTransfer(deps.ports, ctx, input),
);
