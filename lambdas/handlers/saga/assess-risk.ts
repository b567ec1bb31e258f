import { paymentVelocity, riskLimits } from '../../composition/saga.ts';
import { assessRisk } from '../../domain/payments/commands.ts';
import { sagaTask } from '../../shared/payments.ts';

/** State AssessRisk. */
export const handler = sagaTask('AssessRisk', (ports, ctx, input) =>
  assessRisk({ ...ports, velocity: paymentVelocity() }, ctx, { ...input, limits: riskLimits(ctx.tenantId) }),
);
