// The async side's infrastructure (issue 6): the relay's stream mapping, the work queues, grants, outputs.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, type CfnElement, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import type { IConstruct } from 'constructs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../lib/api-function.ts';
import { IdempotencyTable } from '../../lib/idempotency-table.ts';
import { LedgerlineStack, routeId } from '../../lib/ledgerline-stack.ts';
import { MerchantNotifications } from '../../lib/merchant-notifications.ts';
import { DeadLetterQueue, VISIBILITY_TIMEOUT_FACTOR, WorkQueue } from '../../lib/queues.ts';
import { isPublic, ROUTES } from '../../lib/routes.ts';

type Json = Record<string, unknown>;
interface Resource {
  readonly Type: string;
  readonly Properties: Json;
}
interface Statement {
  readonly Effect: string;
  readonly Action: string | string[];
  readonly Resource: unknown;
}

let outdir: string;
let stack: LedgerlineStack;
let resources: Record<string, Resource>;
let template: Template;

beforeAll(() => {
  const { context } = JSON.parse(readFileSync(join(PROJECT_ROOT, 'cdk.json'), 'utf8')) as { context: Json };
  outdir = mkdtempSync(join(tmpdir(), 'ledgerline-workers-'));
  // cdk-nag runs on the whole stack in ledgerline-stack.test.ts and at `cdk synth`.
  // Functions are not bundled: these tests read wiring, not code (ledgerline-stack.test.ts bundles).
  stack = new LedgerlineStack(
    new App({ context: { ...context, 'aws:cdk:bundling-stacks': [] }, outdir }),
    'Ledgerline',
  );
  template = Template.fromStack(stack);
  resources = template.toJSON().Resources as Record<string, Resource>;
});

afterAll(() => {
  if (outdir !== undefined) rmSync(outdir, { recursive: true, force: true });
});

/** The logical id, overrides included (the secrets have stable ones). */
const id = (element: IConstruct): string =>
  Stack.of(element).resolve(((element.node.defaultChild ?? element) as CfnElement).logicalId) as string;
const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);
const actionsOf = (s: Statement) => (Array.isArray(s.Action) ? s.Action : [s.Action]);
function statementsOf(fn: LambdaFunction): Statement[] {
  const roleId = id(fn.role as unknown as IConstruct);
  return ofType('AWS::IAM::Policy')
    .filter(([, p]) => JSON.stringify(p.Properties.Roles).includes(`"${roleId}"`))
    .flatMap(([, p]) => (p.Properties.PolicyDocument as { Statement: Statement[] }).Statement)
    .filter((s) => s.Effect === 'Allow');
}
/** The actions `fn` may take on the resource whose logical id is `target`. */
function actionsOn(fn: LambdaFunction, target: string): string[] {
  return [
    ...new Set(
      statementsOf(fn)
        .filter((s) => JSON.stringify(s.Resource).includes(`"${target}"`))
        .flatMap(actionsOf),
    ),
  ].sort();
}
const route = (method: 'GET' | 'POST', path: string): LambdaFunction => {
  const fn = stack.functions.get(routeId({ method, path }))?.function;
  if (!fn) throw new Error(`no route ${method} ${path}`);
  return fn;
};
const mappingsOf = (source: string) =>
  ofType('AWS::Lambda::EventSourceMapping').filter(([, m]) =>
    JSON.stringify(m.Properties.EventSourceArn).includes(`"${source}"`),
  );

describe('relay', () => {
  it('is the events stream’s second and last mapping', () => {
    const mappings = mappingsOf(id(stack.eventStore.eventsTable));
    expect(mappings).toHaveLength(2);
    const targets = mappings.map(([, m]) => JSON.stringify(m.Properties.FunctionName));
    expect(targets.some((t) => t.includes(id(stack.relay.function.function)))).toBe(true);
    expect(targets.some((t) => t.includes(id(stack.projector.function.function)))).toBe(true);
  });

  it('takes INSERTs of outbox events only, with bisect, bounded retries and age, partial batches and a DLQ', () => {
    const [[, mapping] = []] = mappingsOf(id(stack.eventStore.eventsTable)).filter(([, m]) =>
      JSON.stringify(m.Properties.FunctionName).includes(id(stack.relay.function.function)),
    );
    expect(mapping?.Properties).toMatchObject({
      StartingPosition: 'TRIM_HORIZON',
      BisectBatchOnFunctionError: true,
      MaximumRetryAttempts: 5,
      MaximumRecordAgeInSeconds: 6 * 3600,
      ParallelizationFactor: 1,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      DestinationConfig: {
        OnFailure: { Destination: { 'Fn::GetAtt': [id(stack.relay.failures.queue), 'Arn'] } },
      },
    });
    const filters =
      (mapping?.Properties.FilterCriteria as { Filters: { Pattern: string }[] } | undefined)?.Filters ?? [];
    expect(filters.map((f) => JSON.parse(f.Pattern))).toEqual([
      { eventName: ['INSERT'], dynamodb: { NewImage: { type: { S: ['MerchantNotificationRequested'] } } } },
    ]);
  });

  it('may send to the notifications queue and nothing else but its own logs', () => {
    const fn = stack.relay.function.function;
    expect(actionsOn(fn, id(stack.notifications.queue.queue))).toContain('sqs:SendMessage');
    expect(
      actionsOn(fn, id(stack.eventStore.eventsTable)).filter(
        (a) => !a.startsWith('dynamodb:') || a.includes('Item'),
      ),
    ).toEqual([]);
  });
});

describe('queues', () => {
  it('are every one built by WorkQueue or DeadLetterQueue', () => {
    const built = stack.node
      .findAll()
      .flatMap((c) => (c instanceof WorkQueue ? [c.queue] : c instanceof DeadLetterQueue ? [c.queue] : []))
      .map((q) => id(q));
    expect(
      ofType('AWS::SQS::Queue')
        .map(([logicalId]) => logicalId)
        .sort(),
    ).toEqual([...new Set(built)].sort());
  });

  it('give each worker partial batches, a concurrency cap, a DLQ after ≥ 5 receives and 6 × its timeout', () => {
    for (const [work, worker, receives] of [
      [stack.processorWebhooks.queue, stack.processorWebhooks.worker.function, 5],
      [stack.notifications.queue, stack.notifications.worker.function, 12],
    ] as const) {
      const [[, mapping] = []] = mappingsOf(id(work.queue));
      expect(mapping?.Properties).toMatchObject({
        BatchSize: 10,
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        ScalingConfig: { MaximumConcurrency: 5 },
      });
      const queue = resources[id(work.queue)]?.Properties ?? {};
      expect(queue.VisibilityTimeout).toBeGreaterThanOrEqual(
        VISIBILITY_TIMEOUT_FACTOR * (worker.timeout?.toSeconds() ?? 0),
      );
      expect(queue.RedrivePolicy).toMatchObject({ maxReceiveCount: receives });
      expect(queue.KmsMasterKeyId).toEqual({
        'Fn::GetAtt': [expect.stringMatching(/^LedgerDataKey/), 'Arn'],
      });
      expect(resources[id(work.deadLetters.queue)]?.Properties.MessageRetentionPeriod).toBe(14 * 24 * 3600);
      expect(resources[id(work.ageAlarm)]?.Type).toBe('AWS::CloudWatch::Alarm');
      expect(resources[id(work.deadLetters.depthAlarm)]?.Type).toBe('AWS::CloudWatch::Alarm');
    }
    expect(resources[id(stack.relay.failures.depthAlarm)]?.Type).toBe('AWS::CloudWatch::Alarm');
  });

  it('alarm on the first processor fact booked over a ledger rule, and the first processor event refused', () => {
    for (const [alarm, fn, metric] of [
      [stack.projector.factsOverRulesAlarm, stack.projector.function.function, 'FactsBookedOverRules'],
      [
        stack.processorWebhooks.rejectedAlarm,
        stack.processorWebhooks.worker.function,
        'ProcessorEventsRejected',
      ],
    ] as const) {
      expect(resources[id(alarm)]?.Properties).toMatchObject({
        Namespace: 'Ledgerline',
        MetricName: metric,
        Dimensions: [{ Name: 'FunctionName', Value: { Ref: id(fn) } }],
        Statistic: 'Sum',
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      });
    }
  });

  it('park an early processor event on its own queue, 30 s doubling, for three days', () => {
    const fn = stack.processorWebhooks.worker.function;
    const environment = resources[id(fn)]?.Properties.Environment as { Variables: Json } | undefined;
    const variables = environment?.Variables;
    expect(variables).toMatchObject({ PARK_BASE_SECONDS: '30', PARK_WINDOW_SECONDS: '259200' });
    const queueArn = { 'Fn::GetAtt': [id(stack.processorWebhooks.queue.queue), 'Arn'] };
    expect(
      statementsOf(fn).some(
        (s) =>
          actionsOf(s).includes('sqs:SendMessage') && JSON.stringify(s.Resource) === JSON.stringify(queueArn),
      ),
    ).toBe(true);
  });

  it('are output for the DLQ CLI', () => {
    const outputs = template.toJSON().Outputs as Record<string, { Value: unknown }>;
    expect(outputs.ProcessorEventsDlqUrl?.Value).toEqual({
      Ref: id(stack.processorWebhooks.queue.deadLetters.queue),
    });
    expect(outputs.MerchantNotificationsDlqUrl?.Value).toEqual({
      Ref: id(stack.notifications.queue.deadLetters.queue),
    });
    expect(outputs.RelayFailureQueueUrl?.Value).toEqual({ Ref: id(stack.relay.failures.queue) });
  });
});

describe('grants', () => {
  it('lets the delivery worker read endpoints, open their secrets, log attempts, reschedule and re-send its own messages', () => {
    const fn = stack.notifications.worker.function;
    expect(actionsOn(fn, id(stack.notifications.endpoints))).toEqual(['dynamodb:GetItem']);
    expect(actionsOn(fn, id(stack.notifications.deliveries))).toEqual(['dynamodb:PutItem']);
    expect(actionsOn(fn, id(stack.notifications.secretsKey))).toEqual(
      expect.arrayContaining(['secretsmanager:GetSecretValue']),
    );
    expect(actionsOn(fn, id(stack.notifications.queue.queue))).toEqual(
      expect.arrayContaining([
        'sqs:ChangeMessageVisibility',
        'sqs:DeleteMessage',
        'sqs:ReceiveMessage',
        // The delayed copy of a notification whose lock another delivery holds.
        'sqs:SendMessage',
      ]),
    );
    expect(actionsOn(fn, id(stack.eventStore.eventsTable))).toEqual([]);
  });

  it('lets the webhook receiver read its secret, store raw events and enqueue them, and touch no ledger table', () => {
    const fn = route('POST', '/webhooks/processor');
    expect(actionsOn(fn, id(stack.processorWebhooks.inbox))).toEqual(['dynamodb:UpdateItem']);
    expect(actionsOn(fn, id(stack.processorWebhooks.queue.queue))).toContain('sqs:SendMessage');
    expect(actionsOn(fn, id(stack.processorWebhooks.signingSecret))).toContain(
      'secretsmanager:GetSecretValue',
    );
    expect(actionsOn(fn, id(stack.eventStore.eventsTable))).toEqual([]);
    expect(actionsOn(fn, id(stack.idempotency.table))).toEqual([]);
  });

  it('lets the processor-events worker append to the ledger, keep idempotency records and record outcomes', () => {
    const fn = stack.processorWebhooks.worker.function;
    expect(actionsOn(fn, id(stack.eventStore.eventsTable))).toEqual([
      'dynamodb:ConditionCheckItem',
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:Query',
    ]);
    expect(actionsOn(fn, id(stack.processorWebhooks.inbox))).toEqual(['dynamodb:UpdateItem']);
    expect(actionsOn(fn, id(stack.notifications.queue.queue))).toContain('sqs:SendMessage');
    expect(actionsOn(fn, id(stack.idempotency.table))).toHaveLength(4);
    expect(actionsOn(fn, id(stack.processorWebhooks.signingSecret))).toEqual([]);
  });

  it('gives the endpoint routes only what each needs: register writes and seals, list reads without the key', () => {
    const register = route('POST', '/merchants/{id}/webhook-endpoints');
    const list = route('GET', '/merchants/{id}/webhook-endpoints');
    const deliveries = route('GET', '/merchants/{id}/deliveries');
    expect(actionsOn(register, id(stack.notifications.endpoints))).toEqual(['dynamodb:PutItem']);
    expect(actionsOn(register, id(stack.notifications.secretsKey))).toContain(
      'secretsmanager:GetSecretValue',
    );
    expect(actionsOn(list, id(stack.notifications.endpoints))).toEqual(['dynamodb:GetItem']);
    expect(actionsOn(list, id(stack.notifications.secretsKey))).toEqual([]);
    expect(actionsOn(deliveries, id(stack.notifications.deliveries))).toEqual(['dynamodb:Query']);
    expect(actionsOn(deliveries, id(stack.notifications.endpoints))).toEqual([]);
  });
});

describe('webhook routes and settings', () => {
  it('do not ask the processor for an API key, and ask tenants for one', () => {
    const methods = ofType('AWS::ApiGateway::Method');
    const signed = ROUTES.filter((r) => r.auth === 'webhook-signature');
    expect(signed.map((r) => `${r.method} ${r.path}`)).toEqual(['POST /webhooks/processor']);
    // The processor's webhook and the public contract (GET /openapi.json), nothing else.
    expect(methods.filter(([, m]) => m.Properties.ApiKeyRequired === false)).toHaveLength(
      ROUTES.filter(isPublic).length,
    );
    expect(ROUTES.filter(isPublic)).toHaveLength(2);
  });

  it('refuse http merchant URLs unless the stage allows loopback', () => {
    const variables = (resource: Resource | undefined) =>
      ((resource?.Properties.Environment ?? {}) as { Variables?: Json }).Variables ?? {};
    expect(variables(resources[id(stack.notifications.worker.function)]).WEBHOOK_ALLOW_LOOPBACK_HTTP).toBe(
      'false',
    );
    const dev = new Stack(new App({ outdir: mkdtempSync(join(tmpdir(), 'ledgerline-dev-')) }), 'Dev');
    const notifications = new MerchantNotifications(dev, 'Notifications', {
      idempotency: new IdempotencyTable(dev, 'Idempotency'),
      allowLoopbackHttp: true,
    });
    const devResources = Template.fromStack(dev).toJSON().Resources as Record<string, Resource>;
    expect(variables(devResources[id(notifications.worker.function)]).WEBHOOK_ALLOW_LOOPBACK_HTTP).toBe(
      'true',
    );
  });
});
