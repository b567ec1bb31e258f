import { captureAtProcessor } from '../../application/payments/commands.ts';
import { processorTaskDeps } from '../../composition/saga.ts';
import { sagaTask } from './saga-task.ts';

/** State CaptureAtProcessor. */
export const { main, handler } = sagaTask('CaptureAtProcessor', processorTaskDeps, (deps, ctx, input) =>
  captureAtProcessor({ ...deps.ports, processor: deps.processor }, ctx, input),
);
