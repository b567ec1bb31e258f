// Stages: a deploy names its stage; production runs without the sandbox processor; unauthenticated
// routes have their own method throttle.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../lib/api-function.ts';
import { LedgerlineStack } from '../../lib/ledgerline-stack.ts';
import { ROUTES } from '../../lib/routes.ts';
import { stageFromContext, stageProfile } from '../../lib/stage.ts';
import type { Resource } from './stack-under-test.ts';

const PROCESSOR_URL = 'https://api.processor.example/v1/';

/** Synthesizes the stack for a stage (no bundling, cdk-nag on), as `cdk synth -c ledgerline:stage=…` does. */
function synth(stage: string, processorUrl?: string, deployable = true) {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new LedgerlineStack(app, 'Ledgerline', { stage, processorUrl, deployable });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  app.synth();
  const resources = Template.fromStack(stack).toJSON().Resources as Record<string, Resource>;
  const ofType = (type: string) => Object.values(resources).filter((r) => r.Type === type);
  const parameters = (Template.fromStack(stack).toJSON().Parameters ?? {}) as Record<
    string,
    Record<string, unknown>
  >;
  return { app, stack, resources, ofType, parameters };
}

describe('the stage', () => {
  it('must be given somewhere: the app without any stage context exits 1 with a message naming the flag', () => {
    const run = spawnSync(process.execPath, [join(PROJECT_ROOT, 'bin', 'ledgerline.ts')], {
      cwd: PROJECT_ROOT,
      encoding: 'utf8',
      env: { ...process.env, CDK_CONTEXT_JSON: '{}' },
      timeout: 60_000,
    });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('No stage given');
    expect(run.stderr).toContain('-c ledgerline:stage=');
  });

  it('is read from the context (explicit, or cdk.json’s default), and refused when malformed', () => {
    const context = (values: Record<string, string>) => (key: string) => values[key];
    expect(stageFromContext(context({}))).toEqual({ error: expect.stringContaining('No stage given') });
    expect(stageFromContext(context({ 'ledgerline:defaultStage': 'dev' }))).toEqual({
      stage: 'dev',
      explicit: false,
      processorUrl: undefined,
    });
    expect(
      stageFromContext(context({ 'ledgerline:defaultStage': 'dev', 'ledgerline:stage': 'staging' })),
    ).toMatchObject({ stage: 'staging', explicit: true });
    expect(stageFromContext(context({ 'ledgerline:stage': 'Prod!' }))).toEqual({
      error: expect.stringContaining('lowercase'),
    });
    expect(
      stageFromContext(context({ 'ledgerline:stage': 'prod', 'ledgerline:processorUrl': PROCESSOR_URL })),
    ).toEqual({ stage: 'prod', explicit: true, processorUrl: PROCESSOR_URL });
  });

  it('defaults to dev in cdk.json, for synth and the local runtime only', () => {
    const { context } = JSON.parse(readFileSync(join(PROJECT_ROOT, 'cdk.json'), 'utf8'));
    expect(context['ledgerline:defaultStage']).toBe('dev');
    expect(context['ledgerline:stage']).toBeUndefined();
  });

  it('from cdk.json’s default makes a template `cdk deploy` refuses: a parameter no value satisfies', () => {
    const { parameters } = synth('dev', undefined, false);
    const guard = parameters.StageNotGiven;
    expect(guard).toMatchObject({ Type: 'String', AllowedPattern: '^$', MinLength: 1 });
    expect(guard?.Default).toBeUndefined();
    expect(String(guard?.ConstraintDescription)).toContain('-c ledgerline:stage=');
    // Named explicitly, the same stage deploys.
    expect(synth('dev').parameters.StageNotGiven).toBeUndefined();
  });
});

describe('a development stage', () => {
  it('deploys the sandbox processor behind a Function URL with auth NONE', () => {
    const { stack, ofType } = synth('dev');
    expect(stack.sandboxProcessor).toBeDefined();
    expect(ofType('AWS::Lambda::Url')).toEqual([
      expect.objectContaining({ Properties: expect.objectContaining({ AuthType: 'NONE' }) }),
    ]);
  });
});

/** Every table's and log group's lifetime in a synthesized stage. */
function lifetimes(ofType: (type: string) => Resource[]) {
  const tables = ofType('AWS::DynamoDB::GlobalTable');
  const groups = ofType('AWS::Logs::LogGroup');
  return {
    tables: tables.length,
    groups: groups.length,
    policies: new Set([...tables, ...groups].map((r) => r.DeletionPolicy)),
    protection: new Set(
      tables.map(
        (t) =>
          (t.Properties.Replicas as { DeletionProtectionEnabled?: boolean }[])[0]?.DeletionProtectionEnabled,
      ),
    ),
    retention: groups.map((g) => g.Properties.RetentionInDays as number),
  };
}

describe('stage profiles', () => {
  it('a development stage is disposable: every table and log group is deleted with the stack, logs kept a week', () => {
    const dev = lifetimes(synth('dev').ofType);
    expect(dev.tables).toBeGreaterThan(5);
    expect(dev.groups).toBeGreaterThan(5);
    expect(dev.policies).toEqual(new Set(['Delete']));
    expect(dev.protection).toEqual(new Set([false]));
    expect(new Set(dev.retention)).toEqual(new Set([7]));
  });

  it('production keeps everything: tables retained with deletion protection, logs kept at least a year', () => {
    const prod = lifetimes(synth('prod', PROCESSOR_URL).ofType);
    expect(prod.policies).toEqual(new Set(['Retain']));
    expect(prod.protection).toEqual(new Set([true]));
    expect(Math.min(...prod.retention)).toBeGreaterThanOrEqual(365);
  });

  it('pages on the API sooner in production than in development', () => {
    const thresholds = (stage: string, url?: string) => {
      const alarms = synth(stage, url).ofType('AWS::CloudWatch::Alarm');
      const of = (text: string) =>
        alarms.find((a) => String(a.Properties.AlarmDescription).includes(text))?.Properties.Threshold;
      return { errors: of('answered 5xx'), p99: of('p99 latency') };
    };
    expect(thresholds('prod', PROCESSOR_URL)).toEqual({ errors: 1, p99: 1000 });
    expect(thresholds('dev')).toEqual({ errors: 5, p99: 5000 });
  });

  it('any stage other than prod gets the development profile', () => {
    expect(stageProfile('staging')).toEqual(stageProfile('dev'));
    expect(stageProfile('prod').production).toBe(true);
  });
});

describe('the production stage', () => {
  it('needs the real processor’s https URL', () => {
    expect(() => synth('prod')).toThrow(/ledgerline:processorUrl/);
    expect(() => synth('prod', 'http://processor.example/')).toThrow(/https/);
  });

  it('deploys no sandbox and no Function URL; the processor clients get its URL and an operator-filled secret', () => {
    const { stack, resources, ofType } = synth('prod', PROCESSOR_URL);
    expect(stack.sandboxProcessor).toBeUndefined();
    expect(ofType('AWS::Lambda::Url')).toEqual([]);
    expect(JSON.stringify(resources)).not.toContain('sandbox/processor');
    // The processor's API key: a secret the operator puts the key in (see the ApiKeySecretArn output).
    const descriptions = ofType('AWS::SecretsManager::Secret').map((s) => s.Properties.Description);
    expect(descriptions).toContain('API key of the card processor (put the value after the first deploy)');
    const callers = ofType('AWS::Lambda::Function').filter((fn) =>
      JSON.stringify(fn.Properties.Environment ?? {}).includes(PROCESSOR_URL),
    );
    // The saga's capture and refund tasks, and the refunds route.
    expect(callers).toHaveLength(3);
    for (const fn of callers) {
      expect(fn.Properties.Environment).toMatchObject({
        Variables: { PROCESSOR_BASE_URL: PROCESSOR_URL, PROCESSOR_SECRET_ARN: expect.anything() },
      });
    }
  });

  it('has no unacknowledged cdk-nag AwsSolutions finding either (errors and warnings)', () => {
    const { app } = synth('prod', PROCESSOR_URL);
    const report = new AwsSolutionsChecks().validateScope(app);
    const findings = report.violations.flatMap((v) =>
      v.violatingResources.map((r) => `${v.ruleName} at ${r.constructPath ?? '?'}`),
    );
    expect(findings).toEqual([]);
  });

  it('refuses loopback http webhook URLs', () => {
    const { ofType } = synth('prod', PROCESSOR_URL);
    const flags = ofType('AWS::Lambda::Function').flatMap((fn) => {
      const value = (fn.Properties.Environment as { Variables?: Record<string, unknown> } | undefined)
        ?.Variables?.WEBHOOK_ALLOW_LOOPBACK_HTTP;
      return value === undefined ? [] : [value];
    });
    expect(flags.length).toBeGreaterThan(0);
    expect(new Set(flags)).toEqual(new Set(['false']));
  });
});

describe('unauthenticated routes', () => {
  it('each have their own method throttle on the stage, below the stage-wide one', () => {
    const { ofType } = synth('dev');
    const [stage] = ofType('AWS::ApiGateway::Stage');
    const settings = (stage?.Properties.MethodSettings ?? []) as Record<string, unknown>[];
    const stageWide = settings.find((s) => s.ResourcePath === '/*');
    const publicRoutes = ROUTES.filter((r) => (r.auth ?? 'api-key') !== 'api-key');
    expect(publicRoutes.map((r) => `${r.method} ${r.path}`)).toContain('POST /webhooks/processor');
    for (const route of publicRoutes) {
      const own = settings.find(
        (s) => s.HttpMethod === route.method && s.ResourcePath === `/${route.path.replaceAll('/', '~1')}`,
      );
      expect(own, `${route.method} ${route.path}`).toMatchObject({
        ThrottlingRateLimit: expect.any(Number),
        ThrottlingBurstLimit: expect.any(Number),
      });
      expect(Number(own?.ThrottlingRateLimit)).toBeLessThan(Number(stageWide?.ThrottlingRateLimit));
    }
  });
});
