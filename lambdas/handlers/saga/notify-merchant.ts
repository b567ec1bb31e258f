import { notifyMerchant } from '../../application/payments/commands.ts';
import { sagaTask } from './saga-task.ts';

/** State NotifyMerchant. */
export const handler = sagaTask('NotifyMerchant', (ports, ctx, input) => notifyMerchant(ports, ctx, input));
