import { captureAtProcessor } from '../../application/payments/commands.ts';
import { paymentProcessor } from '../../shared/payments.ts';
import { sagaTask } from './saga-task.ts';

/** State CaptureAtProcessor. */
export const handler = sagaTask('CaptureAtProcessor', (ports, ctx, input) =>
  captureAtProcessor({ ...ports, processor: paymentProcessor() }, ctx, input),
);
