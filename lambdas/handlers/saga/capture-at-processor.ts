import { captureAtProcessor } from '../../application/payments/commands.ts';
import { paymentProcessor, sagaTask } from '../../shared/payments.ts';

/** State CaptureAtProcessor. */
export const handler = sagaTask('CaptureAtProcessor', (ports, ctx, input) =>
  captureAtProcessor({ ...ports, processor: paymentProcessor() }, ctx, input),
);
