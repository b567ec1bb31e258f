import { notifyMerchant } from '../../application/payments/commands.ts';
import { sagaTask } from '../../shared/payments.ts';

/** State NotifyMerchant. */
export const handler = sagaTask('NotifyMerchant', (ports, ctx, input) => notifyMerchant(ports, ctx, input));
