import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, type CfnElement, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUSINESS_REJECTION } from '../../lambdas/handlers/saga/saga-error.ts';
import { PROJECT_ROOT } from '../../lib/api-function.ts';
import { EventStore } from '../../lib/event-store.ts';
import { PAYMENT_SAGA_DEFINITION, PaymentSaga, SAGA_TASKS } from '../../lib/payment-saga.ts';
import { SandboxProcessor } from '../../lib/sandbox-processor.ts';

type Json = Record<string, unknown>;
interface Statement {
  readonly Effect: string;
  readonly Action: string | string[];
  readonly Resource: unknown;
}

let outdir: string;
let stack: Stack;
let saga: PaymentSaga;
let sandbox: SandboxProcessor;
let template: Template;
let resources: Record<string, { Type: string; Properties: Json }>;

beforeAll(() => {
  const { context } = JSON.parse(readFileSync(join(PROJECT_ROOT, 'cdk.json'), 'utf8')) as { context: Json };
  outdir = mkdtempSync(join(tmpdir(), 'ledgerline-saga-'));
  // Functions are not bundled: these tests read wiring and the ASL asset, not code.
  const app = new App({ context: { ...context, 'aws:cdk:bundling-stacks': [] }, outdir });
  stack = new Stack(app, 'Saga');
  const eventStore = new EventStore(stack, 'EventStore');
  sandbox = new SandboxProcessor(stack, 'SandboxProcessor');
  saga = new PaymentSaga(stack, 'PaymentSaga', { eventStore, processor: sandbox });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  app.synth(); // throws on an unacknowledged cdk-nag finding
  template = Template.fromStack(stack);
  resources = template.toJSON().Resources;
});

afterAll(() => {
  if (outdir !== undefined) rmSync(outdir, { recursive: true, force: true });
});

const id = (construct: { node: { defaultChild?: unknown } }) =>
  stack.getLogicalId(construct.node.defaultChild as CfnElement);
const functionId = (name: string) => id(saga.functions.get(name)?.function as never);
const statementsOf = (roleId: string): Statement[] =>
  Object.values(resources)
    .filter(
      (r) => r.Type === 'AWS::IAM::Policy' && JSON.stringify(r.Properties.Roles).includes(`"${roleId}"`),
    )
    .flatMap((r) => (r.Properties.PolicyDocument as { Statement: Statement[] }).Statement);
const machineProperties = (): Json => {
  const machines = Object.values(resources).filter((r) => r.Type === 'AWS::StepFunctions::StateMachine');
  expect(machines).toHaveLength(1);
  return machines[0]?.Properties ?? {};
};
const actions = (s: Statement) => (Array.isArray(s.Action) ? s.Action : [s.Action]);

describe('the payment settlement state machine', () => {
  it('is a Standard workflow from the ASL file, with logging ALL and tracing on', () => {
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      StateMachineType: 'STANDARD',
      DefinitionS3Location: Match.anyValue(),
      TracingConfiguration: { Enabled: true },
      LoggingConfiguration: Match.objectLike({ Level: 'ALL', IncludeExecutionData: false }),
    });
  });

  it('substitutes every $-placeholder of the ASL file with a task function ARN', () => {
    const asl = readFileSync(join(PROJECT_ROOT, PAYMENT_SAGA_DEFINITION), 'utf8');
    const placeholders = [...new Set([...asl.matchAll(/\$\{([^}]+)\}/g)].map((m) => m[1]))].sort();
    const substitutions = machineProperties().DefinitionSubstitutions as Record<string, unknown>;
    expect(Object.keys(substitutions).sort()).toEqual(placeholders);
    for (const task of SAGA_TASKS) {
      expect(substitutions[`${task.name}FunctionArn`]).toEqual({
        'Fn::GetAtt': [functionId(task.name), 'Arn'],
      });
    }
  });

  it('deploys the ASL file unchanged, so its error names are the ones the tests check', () => {
    const { Key } = machineProperties().DefinitionS3Location as { Key: string };
    const deployed = readFileSync(join(outdir, `asset.${Key}`), 'utf8');
    expect(deployed).toBe(readFileSync(join(PROJECT_ROOT, PAYMENT_SAGA_DEFINITION), 'utf8'));
    expect(deployed).toContain(`"${BUSINESS_REJECTION}"`);
  });

  it('may invoke exactly the task functions (unqualified ARNs, no wildcard)', () => {
    const roleId = id(saga.stateMachine.role as never);
    const invoke = statementsOf(roleId).filter((s) => actions(s).includes('lambda:InvokeFunction'));
    expect(invoke).toHaveLength(1);
    const sorted = (list: unknown[]) => list.map((r) => JSON.stringify(r)).sort();
    expect(sorted(invoke[0]?.Resource as unknown[])).toEqual(
      sorted(SAGA_TASKS.map((task) => ({ 'Fn::GetAtt': [functionId(task.name), 'Arn'] }))),
    );
  });

  it('alarms on any failed execution (compensation or notification out of retries)', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ExecutionsFailed',
      Namespace: 'AWS/States',
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      Dimensions: [{ Name: 'StateMachineArn', Value: { Ref: id(saga.stateMachine as never) } }],
    });
  });
});

describe('the task functions', () => {
  it('reach the processor only from the capture and refund tasks, with its URL and secret', () => {
    for (const task of SAGA_TASKS) {
      const env =
        (resources[functionId(task.name)]?.Properties.Environment as { Variables: Json } | undefined)
          ?.Variables ?? {};
      if (task.processor) {
        expect(env.PROCESSOR_BASE_URL, task.name).toEqual({
          'Fn::GetAtt': [id(sandbox.url as never), 'FunctionUrl'],
        });
        expect(env.PROCESSOR_SECRET_ARN, task.name).toEqual({ Ref: id(sandbox.secret as never) });
      } else {
        expect(env.PROCESSOR_BASE_URL, task.name).toBeUndefined();
      }
    }
  });

  it('never update or delete events; the complete task only reads', () => {
    const events = id(saga.node.scope?.node.findChild('EventStore').node.findChild('Events') as never);
    for (const task of SAGA_TASKS) {
      const roleId = id(saga.functions.get(task.name)?.role as never);
      const onEvents = statementsOf(roleId).filter((s) => JSON.stringify(s.Resource).includes(`"${events}"`));
      const all = onEvents.flatMap(actions);
      expect(all, task.name).not.toContain('dynamodb:UpdateItem');
      expect(all, task.name).not.toContain('dynamodb:DeleteItem');
      expect(all.includes('dynamodb:PutItem'), task.name).toBe(task.writes);
    }
  });

  it('time out before the ASL task timeout, so a retry sees the function error', () => {
    for (const task of SAGA_TASKS) {
      expect(resources[functionId(task.name)]?.Properties.Timeout).toBe(15);
    }
  });
});

describe('the sandbox processor', () => {
  it('is served by a Function URL with auth NONE (the handler checks the bearer secret)', () => {
    template.hasResourceProperties('AWS::Lambda::Url', {
      AuthType: 'NONE',
      TargetFunctionArn: { 'Fn::GetAtt': [id(sandbox.function.function), 'Arn'] },
    });
  });

  it('generates its API secret', () => {
    template.hasResourceProperties('AWS::SecretsManager::Secret', {
      GenerateSecretString: Match.objectLike({ PasswordLength: 40 }),
    });
  });
});
