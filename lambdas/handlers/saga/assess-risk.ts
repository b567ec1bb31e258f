import { assessRisk } from '../../application/payments/commands.ts';
import { paymentVelocity, riskLimits } from '../../shared/payments.ts';
import { sagaTask } from './saga-task.ts';

/** State AssessRisk. */
export const handler = sagaTask('AssessRisk', (ports, ctx, input) =>
  assessRisk({ ...ports, velocity: paymentVelocity() }, ctx, { ...input, limits: riskLimits(ctx.tenantId) }),
);
