// EventBridge schedules in the local runtime: the expressions, the runner, and the rule provisioner.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { CfnTemplate, StackAssembly } from '../../../local/cloud-assembly.ts';
import type { InvokeResult } from '../../../local/lambda-pool.ts';
import { arns } from '../../../local/naming.ts';
import { provisionStack } from '../../../local/provisioners/provision-stack.ts';
import { PROVISIONERS } from '../../../local/provisioners/registry.ts';
import {
  nextRun,
  parseScheduleExpression,
  ScheduleExpressionError,
} from '../../../local/schedule-expression.ts';
import { type PlannedSchedule, ScheduleRunner, startSchedules } from '../../../local/schedule-runner.ts';
import type { LocalServices } from '../../../local/services.ts';
import { planStack } from '../../../local/template.ts';
import { StackValues } from '../../../local/values.ts';

const at = (iso: string) => Date.parse(iso);
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

describe('schedule expressions', () => {
  it('reads rates in minutes, hours and days, singular for one and plural for more', () => {
    expect(parseScheduleExpression('rate(1 minute)')).toMatchObject({ kind: 'rate', everyMs: 60_000 });
    expect(parseScheduleExpression('rate(5 minutes)')).toMatchObject({ everyMs: 300_000 });
    expect(parseScheduleExpression('rate(2 hours)')).toMatchObject({ everyMs: 7_200_000 });
    expect(parseScheduleExpression('rate(1 day)')).toMatchObject({ everyMs: 86_400_000 });
    for (const wrong of [
      'rate(1 minutes)',
      'rate(5 minute)',
      'rate(0 minutes)',
      'rate(1 second)',
      'every minute',
    ]) {
      expect(() => parseScheduleExpression(wrong), wrong).toThrow(ScheduleExpressionError);
    }
  });

  it('runs a rate every period from when the schedule started', () => {
    const rate = parseScheduleExpression('rate(1 minute)');
    const start = at('2026-11-30T10:00:20Z');
    expect(iso(nextRun(rate, start, start))).toBe('2026-11-30T10:01:20.000Z');
    expect(iso(nextRun(rate, at('2026-11-30T10:01:20Z'), start))).toBe('2026-11-30T10:02:20.000Z');
    // A missed run (the process slept) is not made up: the next one is the next period boundary.
    expect(iso(nextRun(rate, at('2026-11-30T10:05:30Z'), start))).toBe('2026-11-30T10:06:20.000Z');
  });

  it('reads the six cron fields with lists, ranges, steps and names, in UTC', () => {
    const weekdays = parseScheduleExpression('cron(0/15 9-17 ? * MON-FRI *)');
    // Saturday 2026-11-28: next is Monday 09:00.
    expect(iso(nextRun(weekdays, at('2026-11-28T12:00:00Z'), 0))).toBe('2026-11-30T09:00:00.000Z');
    expect(iso(nextRun(weekdays, at('2026-11-30T09:00:00Z'), 0))).toBe('2026-11-30T09:15:00.000Z');
    expect(iso(nextRun(weekdays, at('2026-11-30T17:45:00Z'), 0))).toBe('2026-12-01T09:00:00.000Z');
    const monthly = parseScheduleExpression('cron(30 2 1,15 JAN,JUL ? 2027)');
    expect(iso(nextRun(monthly, at('2026-11-30T00:00:00Z'), 0))).toBe('2027-01-01T02:30:00.000Z');
    expect(iso(nextRun(monthly, at('2027-01-15T02:30:00Z'), 0))).toBe('2027-07-01T02:30:00.000Z');
    expect(nextRun(monthly, at('2027-07-15T03:00:00Z'), 0)).toBeNull();
    const everyMinute = parseScheduleExpression('cron(* * * * ? *)');
    expect(iso(nextRun(everyMinute, at('2026-11-30T10:00:59.999Z'), 0))).toBe('2026-11-30T10:01:00.000Z');
  });

  it('refuses cron expressions AWS refuses, and says which features do not run locally', () => {
    for (const wrong of [
      'cron(0 12 * * * *)', // both day fields given
      'cron(0 12 ? * ? *)', // neither
      'cron(0 12 * *)', // four fields
      'cron(60 12 * * ? *)',
      'cron(0 12 * 13 ? *)',
      'cron(5-1 12 * * ? *)',
    ]) {
      expect(() => parseScheduleExpression(wrong), wrong).toThrow(ScheduleExpressionError);
    }
    expect(() => parseScheduleExpression('cron(0 12 L * ? *)')).toThrow(/does not run/);
    expect(() => parseScheduleExpression('cron(0 12 ? * 6#3 *)')).toThrow(/does not run/);
  });
});

describe('the schedule runner', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: at('2026-11-30T10:00:00Z') });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  const schedule = (text: string, input?: unknown): PlannedSchedule => ({
    logicalId: 'Sweep',
    ruleArn: 'arn:aws:events:eu-west-1:000000000000:rule/App-Sweep',
    expression: parseScheduleExpression(text),
    targets: [{ id: 'Target0', functionName: 'App-SweepFn', ...(input === undefined ? {} : { input }) }],
  });

  function recording(result: InvokeResult = { ok: true, payload: null }) {
    const calls: { fn: string; event: unknown; at: string }[] = [];
    const logs: string[] = [];
    const invoke = async (fn: string, event: unknown) => {
      calls.push({ fn, event, at: new Date().toISOString() });
      return result;
    };
    return { calls, logs, options: { invoke, region: 'eu-west-1', log: (l: string) => logs.push(l) } };
  }

  it('invokes the target with a scheduled event every period, not before the first one', async () => {
    const { calls, options } = recording();
    const runner = startSchedules([schedule('rate(1 minute)')], options);
    await vi.advanceTimersByTimeAsync(59_999);
    expect(calls).toEqual([]);
    await vi.advanceTimersByTimeAsync(1 + 2 * 60_000);
    expect(calls.map((c) => c.at)).toEqual([
      '2026-11-30T10:01:00.000Z',
      '2026-11-30T10:02:00.000Z',
      '2026-11-30T10:03:00.000Z',
    ]);
    expect(calls[0]?.fn).toBe('App-SweepFn');
    expect(calls[0]?.event).toMatchObject({
      version: '0',
      'detail-type': 'Scheduled Event',
      source: 'aws.events',
      account: '000000000000',
      region: 'eu-west-1',
      time: '2026-11-30T10:01:00Z',
      resources: ['arn:aws:events:eu-west-1:000000000000:rule/App-Sweep'],
      detail: {},
    });
    await runner.stop();
  });

  it('sends the constant Input instead of the event when the target has one', async () => {
    const { calls, options } = recording();
    const runner = startSchedules([schedule('cron(*/5 * * * ? *)', { job: 'x' })], options);
    await vi.advanceTimersByTimeAsync(5 * 60_000);
    expect(calls).toEqual([{ fn: 'App-SweepFn', event: { job: 'x' }, at: '2026-11-30T10:05:00.000Z' }]);
    await runner.stop();
  });

  it('logs a failed invocation and keeps running', async () => {
    const failed = { ok: false as const, error: { errorType: 'Boom', errorMessage: 'no table', trace: [] } };
    const { calls, logs, options } = recording(failed);
    const runner = startSchedules([schedule('rate(1 minute)')], options);
    await vi.advanceTimersByTimeAsync(2 * 60_000);
    expect(calls).toHaveLength(2);
    expect(logs.filter((l) => l.includes('Boom: no table'))).toHaveLength(2);
    await runner.stop();
  });

  it('starts no invocation and leaves no timer once stopped', async () => {
    const { calls, options } = recording();
    const runner = new ScheduleRunner(options);
    runner.start(schedule('rate(1 minute)'));
    runner.start(schedule('cron(* * * * ? *)'));
    await vi.advanceTimersByTimeAsync(60_000);
    expect(calls).toHaveLength(2);
    await runner.stop();
    expect(vi.getTimerCount()).toBe(0);
    await vi.advanceTimersByTimeAsync(10 * 60_000);
    expect(calls).toHaveLength(2);
  });
});

describe('the AWS::Events::Rule provisioner', () => {
  const fnArn = arns.lambda('eu-west-1', 'App-SweepFn');

  async function provision(rule: Record<string, unknown>) {
    const template: CfnTemplate = { Resources: { Rule: { Type: 'AWS::Events::Rule', Properties: rule } } };
    const assembly: StackAssembly = {
      stackName: 'App',
      directory: '/nowhere',
      template,
      assetPath: () => undefined,
    };
    const values = new StackValues(template, 'App', 'eu-west-1');
    const plan = planStack(assembly, (name, where) => values.condition(name, where), PROVISIONERS);
    const logs: string[] = [];
    const pool = { find: (name: string) => (name === 'App-SweepFn' ? { name } : undefined) };
    const world = await provisionStack(plan, PROVISIONERS, {
      stackName: 'App',
      region: 'eu-west-1',
      assembly,
      values,
      services: { dynamo: undefined, pool } as unknown as LocalServices,
      providers: new Set(),
      log: (line) => logs.push(line),
    });
    return { world, logs, values };
  }

  it('records an enabled schedule rule with its Lambda targets and gives it the ARN AWS would', async () => {
    const { world, values } = await provision({
      ScheduleExpression: 'rate(1 minute)',
      State: 'ENABLED',
      Targets: [{ Id: 'Target0', Arn: fnArn, RetryPolicy: { MaximumRetryAttempts: 2 } }],
    });
    expect(world.schedules).toEqual([
      {
        logicalId: 'Rule',
        ruleArn: 'arn:aws:events:eu-west-1:000000000000:rule/App-Rule',
        expression: parseScheduleExpression('rate(1 minute)'),
        targets: [{ id: 'Target0', functionName: 'App-SweepFn' }],
      },
    ]);
    expect(values.get('Rule')).toMatchObject({
      ref: 'App-Rule',
      attributes: { Arn: 'arn:aws:events:eu-west-1:000000000000:rule/App-Rule' },
    });
  });

  it('builds a disabled rule without scheduling it', async () => {
    const { world, logs } = await provision({
      ScheduleExpression: 'rate(1 minute)',
      State: 'DISABLED',
      Targets: [{ Id: 'T', Arn: fnArn }],
    });
    expect(world.schedules).toEqual([]);
    expect(logs).toContain('Rule is disabled (State: DISABLED)');
  });

  it('refuses what it cannot run: a bad expression, event patterns, foreign or non-Lambda targets', async () => {
    await expect(provision({ ScheduleExpression: 'rate(1 minutes)', Targets: [] })).rejects.toThrow(
      /Rule \(AWS::Events::Rule\).*rate\(1 minute\)/,
    );
    await expect(provision({ EventPattern: { source: ['x'] }, Targets: [] })).rejects.toThrow(
      /only schedule rules/,
    );
    await expect(
      provision({
        ScheduleExpression: 'rate(1 minute)',
        Targets: [{ Id: 'T', Arn: arns.lambda('eu-west-1', 'Other') }],
      }),
    ).rejects.toThrow(/not a function of this stack/);
    await expect(
      provision({
        ScheduleExpression: 'rate(1 minute)',
        Targets: [{ Id: 'T', Arn: arns.sqs('eu-west-1', 'q') }],
      }),
    ).rejects.toThrow(/only Lambda targets/);
    await expect(
      provision({
        ScheduleExpression: 'rate(1 minute)',
        Targets: [{ Id: 'T', Arn: fnArn, InputPath: '$.detail' }],
      }),
    ).rejects.toThrow(/InputPath/);
  });
});
