// The local runtime's side of observability: alarms evaluated from the EMF lines functions print, tracing
// off, and the resource types the observability construct adds.
import { once } from 'node:events';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { emfLine, emfMetrics, LEDGER_METRICS } from '../../../lambdas/shared/metrics.ts';
import { alarmSpecsOf, LocalAlarms } from '../../../local/alarms.ts';
import type { CfnTemplate } from '../../../local/cloud-assembly.ts';
import type { ProvisionContext, Provisioner } from '../../../local/provisioners/provisioner.ts';
import { PROVISIONERS } from '../../../local/provisioners/registry.ts';
import { withoutTracing } from '../../../local/provisioners/tracing.ts';
import type { PlannedResource } from '../../../local/template.ts';

const template: CfnTemplate = {
  Resources: {
    TamperAlarm: {
      Type: 'AWS::CloudWatch::Alarm',
      Properties: {
        Namespace: 'Ledgerline',
        MetricName: LEDGER_METRICS.eventsChanged,
        Dimensions: [{ Name: 'FunctionName', Value: { Ref: 'ProjectorFn' } }],
        Statistic: 'Sum',
        Period: 60,
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        EvaluationPeriods: 1,
        AlarmDescription: 'An event item was modified or removed',
        AlarmActions: [{ Ref: 'AlarmTopic' }],
        OKActions: [{ Ref: 'AlarmTopic' }],
      },
    },
    LagAlarm: {
      Type: 'AWS::CloudWatch::Alarm',
      Properties: {
        Namespace: 'Ledgerline',
        MetricName: 'ProjectorLagMs',
        Statistic: 'Maximum',
        Period: 60,
        Threshold: 5000,
        ComparisonOperator: 'GreaterThanThreshold',
      },
    },
    DlqAlarm: {
      Type: 'AWS::CloudWatch::Alarm',
      Properties: {
        Namespace: 'AWS/SQS',
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Statistic: 'Maximum',
        Period: 60,
        Threshold: 0,
        ComparisonOperator: 'GreaterThanThreshold',
      },
    },
    RateAlarm: { Type: 'AWS::CloudWatch::Alarm', Properties: { Metrics: [], Threshold: 1 } },
    Other: { Type: 'AWS::SQS::Queue', Properties: {} },
  },
};
const TOPIC = 'arn:aws:sns:us-east-1:000000000000:alarms';
const values = {
  resolve: <T>(value: unknown): T =>
    JSON.parse(
      JSON.stringify(value)
        .replaceAll('{"Ref":"ProjectorFn"}', '"local-projector"')
        .replaceAll('{"Ref":"AlarmTopic"}', `"${TOPIC}"`),
    ) as T,
};

function alarms() {
  const log: string[] = [];
  let now = 0;
  const local = new LocalAlarms(alarmSpecsOf(template, values), { log: (l) => log.push(l), now: () => now });
  return { local, log, advance: (ms: number) => (now += ms) };
}

describe('local alarms', () => {
  it('evaluate the alarms on EMF metrics, and say once which they cannot see', () => {
    const { specs, unseen } = alarmSpecsOf(template, values);
    expect(specs.map((s) => s.name)).toEqual(['TamperAlarm', 'LagAlarm']);
    expect(specs[0]?.dimensions).toEqual({ FunctionName: 'local-projector' });
    expect(unseen).toEqual(['DlqAlarm', 'RateAlarm']);
    const { log } = alarms();
    expect(log).toEqual([
      expect.stringMatching(/evaluating 2 alarm.*2 watch AWS service metrics.*DlqAlarm, RateAlarm/),
    ]);
  });

  it('go to ALARM on the data point that breaches (Sum over the period), and back to OK when it passes', () => {
    const { local, log, advance } = alarms();
    local.observe('local-projector', 'a plain log line');
    local.observe('other-fn', emfLine(LEDGER_METRICS.eventsChanged, 'other-fn', {}, 0));
    expect(local.state('TamperAlarm')).toBe('OK');
    local.observe('local-projector', emfLine(LEDGER_METRICS.eventsChanged, 'local-projector', {}, 0));
    expect(local.state('TamperAlarm')).toBe('ALARM');
    expect(log.at(-1)).toMatch(
      /TamperAlarm: OK -> ALARM \(EventsChangedOrRemoved Sum 1, GreaterThanOrEqualToThreshold 1/,
    );
    advance(30_000);
    local.tick();
    expect(local.state('TamperAlarm')).toBe('ALARM');
    advance(31_000);
    local.tick();
    expect(local.state('TamperAlarm')).toBe('OK');
    expect(log.at(-1)).toMatch(/TamperAlarm: ALARM -> OK \(EventsChangedOrRemoved no data/);
  });

  it('publish each transition to the SNS actions of its new state, as CloudWatch’s notification', async () => {
    const sent: { topic: string; subject: string; message: Record<string, unknown> }[] = [];
    let now = 0;
    const local = new LocalAlarms(alarmSpecsOf(template, values), {
      log: () => {},
      now: () => now,
      publish: async (topic, subject, message) => {
        sent.push({ topic, subject, message: JSON.parse(message) });
      },
    });
    expect(alarmSpecsOf(template, values).specs[1]?.actions).toEqual({ ALARM: [], OK: [] });
    local.observe('local-projector', emfLine(LEDGER_METRICS.eventsChanged, 'local-projector', {}, 0));
    await local.flush();
    expect(sent).toEqual([
      {
        topic: TOPIC,
        subject: 'ALARM: "TamperAlarm"',
        message: expect.objectContaining({
          AlarmName: 'TamperAlarm',
          AlarmDescription: 'An event item was modified or removed',
          OldStateValue: 'OK',
          NewStateValue: 'ALARM',
          Trigger: expect.objectContaining({
            MetricName: LEDGER_METRICS.eventsChanged,
            Dimensions: [{ name: 'FunctionName', value: 'local-projector' }],
            Threshold: 1,
          }),
        }),
      },
    ]);
    now += 61_000;
    local.tick();
    await local.flush();
    expect(sent.map((s) => s.subject)).toEqual(['ALARM: "TamperAlarm"', 'OK: "TamperAlarm"']);
    expect(sent[1]?.message).toMatchObject({ OldStateValue: 'ALARM', NewStateValue: 'OK' });
  });

  it('say so, and go on, when a publish fails', async () => {
    const log: string[] = [];
    const local = new LocalAlarms(alarmSpecsOf(template, values), {
      log: (l) => log.push(l),
      now: () => 0,
      publish: async () => {
        throw new Error('no such topic');
      },
    });
    local.observe('local-projector', emfLine(LEDGER_METRICS.eventsChanged, 'local-projector', {}, 0));
    await local.flush();
    expect(local.state('TamperAlarm')).toBe('ALARM');
    expect(log.at(-1)).toMatch(/TamperAlarm: could not publish to arn:aws:sns:.*no such topic/);
  });

  it('take the Maximum of a measure without dimensions', () => {
    const { local } = alarms();
    const lines: string[] = [];
    const metrics = emfMetrics((l) => lines.push(l));
    metrics.record('ProjectorLagMs', { value: 800, unit: 'Milliseconds' });
    metrics.record('ProjectorLagMs', { value: 6000, unit: 'Milliseconds' });
    local.observe('projector', lines[0] ?? '');
    expect(local.state('LagAlarm')).toBe('OK');
    local.observe('projector', lines[1] ?? '');
    expect(local.state('LagAlarm')).toBe('ALARM');
  });
});

describe('the local provisioners', () => {
  it('know the topic, its policy and subscriptions, KMS keys and metric filters', () => {
    for (const type of [
      'AWS::SNS::Topic',
      'AWS::SNS::TopicPolicy',
      'AWS::SNS::Subscription',
      'AWS::KMS::Key',
      'AWS::Logs::MetricFilter',
      'AWS::CloudWatch::Dashboard',
    ]) {
      expect(Object.hasOwn(PROVISIONERS, type)).toBe(true);
    }
  });

  it('run functions with Powertools tracing off unless the template sets it', () => {
    const seen: unknown[] = [];
    const inner: Provisioner = {
      properties: { allowed: ['Environment'] },
      provision: (r) => {
        seen.push(r.properties.Environment);
        return { ref: 'fn', attributes: {} };
      },
    };
    const fn = (variables?: Record<string, string>): PlannedResource => ({
      logicalId: 'Fn',
      type: 'AWS::Lambda::Function',
      role: 'build',
      properties: variables ? { Environment: { Variables: variables } } : {},
    });
    const ctx = {} as ProvisionContext;
    withoutTracing(inner).provision(fn({ A: '1' }), ctx);
    withoutTracing(inner).provision(fn(), ctx);
    withoutTracing(inner).provision(fn({ POWERTOOLS_TRACE_ENABLED: 'true' }), ctx);
    withoutTracing(inner).provision(fn({ AWS_XRAY_MANUAL_MODE: '' }), ctx);
    const manual = { AWS_XRAY_MANUAL_MODE: 'true', AWS_XRAY_CONTEXT_MISSING: 'IGNORE_ERROR' };
    expect(seen).toEqual([
      { Variables: { ...manual, POWERTOOLS_TRACE_ENABLED: 'false', A: '1' } },
      { Variables: { ...manual, POWERTOOLS_TRACE_ENABLED: 'false' } },
      { Variables: { POWERTOOLS_TRACE_ENABLED: 'true' } },
      {
        Variables: {
          AWS_XRAY_CONTEXT_MISSING: 'IGNORE_ERROR',
          POWERTOOLS_TRACE_ENABLED: 'false',
          AWS_XRAY_MANUAL_MODE: '',
        },
      },
    ]);
  });

  it('start the X-Ray SDK without async hooks when tracing is off (every promise would pay for them)', async () => {
    // A worker with the environment the provisioner gives a function imports the X-Ray SDK, as the Tracer does,
    // and reports how many async hooks got enabled.
    const enabledHooks = async (env: Record<string, string>) => {
      const source = `
        const hooks = require('node:async_hooks');
        const create = hooks.createHook;
        let enabled = 0;
        hooks.createHook = (callbacks) => {
          const hook = create(callbacks);
          const enable = hook.enable.bind(hook);
          hook.enable = () => { enabled++; return enable(); };
          return hook;
        };
        require(${JSON.stringify(createRequire(import.meta.url).resolve('aws-xray-sdk-core'))});
        require('node:worker_threads').parentPort.postMessage(enabled);`;
      const worker = new Worker(source, { eval: true, env });
      const [count] = await once(worker, 'message');
      await worker.terminate();
      return count as number;
    };
    let env: Record<string, string> = {};
    withoutTracing({
      properties: { allowed: ['Environment'] },
      provision: (r) => {
        const { Variables } = r.properties.Environment as { Variables: Record<string, string> };
        env = Variables;
        return { ref: 'fn', attributes: {} };
      },
    }).provision(
      { logicalId: 'Fn', type: 'AWS::Lambda::Function', role: 'build', properties: {} },
      {} as ProvisionContext,
    );
    expect(await enabledHooks(env)).toBe(0);
    // What the SDK does by default (automatic mode): hooks on from its import.
    expect(await enabledHooks({ POWERTOOLS_TRACE_ENABLED: 'false' })).toBeGreaterThan(0);
  });
});
