import { notifyMerchant } from '../../application/payments/commands.ts';
import { sagaDeps } from '../../composition/saga.ts';
import { sagaTask } from './saga-task.ts';

/** State NotifyMerchant. */
export const { main, handler } = sagaTask('NotifyMerchant', sagaDeps, (deps, ctx, input) =>
  notifyMerchant(deps.ports, ctx, input),
);
