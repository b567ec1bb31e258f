import { paymentProcessor } from '../../composition/saga.ts';
import { captureAtProcessor } from '../../domain/payments/commands.ts';
import { sagaTask } from '../../shared/payments.ts';

/** State CaptureAtProcessor. */
export const handler = sagaTask('CaptureAtProcessor', (ports, ctx, input) =>
  captureAtProcessor({ ...ports, processor: paymentProcessor() }, ctx, input),
);
