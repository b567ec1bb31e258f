import { assessRisk } from '../../application/payments/commands.ts';
import { paymentVelocity, riskLimits, sagaTask } from '../../shared/payments.ts';

/** State AssessRisk. */
export const handler = sagaTask('AssessRisk', (ports, ctx, input) =>
  assessRisk({ ...ports, velocity: paymentVelocity() }, ctx, { ...input, limits: riskLimits(ctx.tenantId) }),
);
