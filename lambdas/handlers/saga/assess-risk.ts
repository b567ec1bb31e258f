import { assessRisk } from '../../application/payments/commands.ts';
import { riskTaskDeps } from '../../composition/saga.ts';
import { sagaTask } from './saga-task.ts';

/** State AssessRisk. */
export const { main, handler } = sagaTask('AssessRisk', riskTaskDeps, (deps, ctx, input) =>
  assessRisk({ ...deps.ports, velocity: deps.velocity }, ctx, {
    ...input,
    limits: deps.limits(ctx.tenantId),
  }),
);
