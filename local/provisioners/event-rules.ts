import { functionNameFromArnOrName, LOCAL_ACCOUNT_ID } from '../naming.ts';
import { parseScheduleExpression, ScheduleExpressionError } from '../schedule-expression.ts';
import type { ScheduleTarget } from '../schedule-runner.ts';
import { fail, type Provisioner, resolvedProperties, resourceName } from './provisioner.ts';

const ONLY_SCHEDULES = 'only schedule rules (ScheduleExpression) run locally';

/** The parts of a rule target the local runtime reads. */
interface RuleTarget {
  readonly Id?: unknown;
  readonly Arn?: unknown;
  readonly Input?: unknown;
  readonly InputPath?: unknown;
  readonly InputTransformer?: unknown;
}

/**
 * `AWS::Events::Rule` with a `ScheduleExpression` (`rate(…)` or `cron(…)`) and Lambda targets of this
 * stack: recorded for the schedule runner, which starts once everything else exists (see
 * `schedule-runner.ts`). A disabled rule is built and never runs. Event patterns are refused.
 */
export const eventRuleProvisioners: Readonly<Record<string, Provisioner>> = {
  'AWS::Events::Rule': {
    properties: {
      allowed: ['ScheduleExpression', 'State', 'Targets', 'Description', 'Name', 'EventBusName', 'RoleArn'],
      unsupported: { EventPattern: ONLY_SCHEDULES },
    },
    provision(r, ctx) {
      const name = resourceName(ctx, r, 'Name', 64);
      const arn = `arn:aws:events:${ctx.region}:${LOCAL_ACCOUNT_ID}:rule/${name}`;
      const p = resolvedProperties(ctx, r);
      if (typeof p.ScheduleExpression !== 'string') fail(r, ONLY_SCHEDULES);
      let expression: ReturnType<typeof parseScheduleExpression>;
      try {
        expression = parseScheduleExpression(p.ScheduleExpression);
      } catch (error) {
        if (error instanceof ScheduleExpressionError) fail(r, error.message);
        throw error;
      }
      const targets = ((p.Targets ?? []) as RuleTarget[]).map((t): ScheduleTarget => {
        const target = typeof t.Arn === 'string' ? t.Arn : fail(r, 'every target needs an Arn');
        const functionName = functionNameFromArnOrName(target);
        if (!target.includes(':lambda:') || !ctx.services.pool.find(functionName)) {
          fail(r, `target ${target} is not a function of this stack (only Lambda targets run locally)`);
        }
        if (t.InputPath !== undefined || t.InputTransformer !== undefined) {
          fail(r, 'InputPath and InputTransformer are not emulated; use Input or none');
        }
        const input = typeof t.Input === 'string' ? (JSON.parse(t.Input) as unknown) : undefined;
        return { id: String(t.Id ?? functionName), functionName, ...(input === undefined ? {} : { input }) };
      });
      if ((p.State ?? 'ENABLED') === 'DISABLED') ctx.log(`${r.logicalId} is disabled (State: DISABLED)`);
      else ctx.world.schedules.push({ logicalId: r.logicalId, ruleArn: arn, expression, targets });
      return { ref: name, attributes: { Arn: arn } };
    },
  },
};
