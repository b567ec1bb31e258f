import { refundAtProcessor } from '../../application/payments/commands.ts';
import { processorTaskDeps } from '../../composition/saga.ts';
import { sagaTask } from './saga-task.ts';

/** State RefundAtProcessor. */
export const { main, handler } = sagaTask('RefundAtProcessor', processorTaskDeps, (deps, ctx, input) =>
  refundAtProcessor({ ...deps.ports, processor: deps.processor }, ctx, input),
);
