import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, type CfnElement } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { READ_MODELS } from '../../lambdas/domain/projections/read-model.ts';
import { PROJECT_ROOT } from '../../lib/api-function.ts';
import { LedgerlineStack, routeId } from '../../lib/ledgerline-stack.ts';
import { ROUTES } from '../../lib/routes.ts';

type Json = Record<string, unknown>;
interface Resource {
  readonly Type: string;
  readonly Properties: Json;
  readonly DeletionPolicy?: string;
}
interface Statement {
  readonly Effect: string;
  readonly Action: string | string[];
  readonly Resource: unknown;
}

let stack: LedgerlineStack;
let resources: Record<string, Resource>;

beforeAll(() => {
  const { context } = JSON.parse(readFileSync(join(PROJECT_ROOT, 'cdk.json'), 'utf8')) as { context: Json };
  // Functions are not bundled: these tests read wiring, not code (ledgerline-stack.test.ts bundles).
  stack = new LedgerlineStack(
    new App({ context: { ...context, 'aws:cdk:bundling-stacks': [] } }),
    'Ledgerline',
  );
  resources = Template.fromStack(stack).toJSON().Resources as Record<string, Resource>;
});

const logicalId = (element: { node: { defaultChild?: unknown } }): string =>
  stack.getLogicalId(element.node.defaultChild as CfnElement);
const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);
const resource = (id: string): Resource => {
  const found = resources[id];
  if (!found) throw new Error(`no resource ${id}`);
  return found;
};
const projectorId = () => logicalId(stack.projector.function.function);
const projectorRoleId = () => logicalId(stack.projector.function.role);
const statementsOf = (roleId: string): Statement[] =>
  ofType('AWS::IAM::Policy')
    .filter(([, p]) => JSON.stringify(p.Properties.Roles).includes(`"${roleId}"`))
    .flatMap(([, p]) => (p.Properties.PolicyDocument as { Statement: Statement[] }).Statement)
    .filter((s) => s.Effect === 'Allow');
const actions = (s: Statement) => (Array.isArray(s.Action) ? s.Action : [s.Action]);
const resourcesOf = (s: Statement) => (Array.isArray(s.Resource) ? s.Resource : [s.Resource]);
/** Actions a role may take on a resource whose template text mentions `id`. */
const actionsOn = (roleId: string, id: string): string[] =>
  [
    ...new Set(
      statementsOf(roleId)
        .filter((s) => resourcesOf(s).some((r) => JSON.stringify(r).includes(`"${id}"`)))
        .flatMap(actions),
    ),
  ].sort();
/** The mappings reading the events table's stream (other mappings, e.g. on queues, are not counted). */
const streamMappings = () =>
  ofType('AWS::Lambda::EventSourceMapping').filter(
    ([, m]) =>
      JSON.stringify(m.Properties.EventSourceArn) ===
      JSON.stringify({ 'Fn::GetAtt': [logicalId(stack.eventStore.eventsTable), 'StreamArn'] }),
  );
/** The projector's mapping: the events stream has two readers, the projector and the relay. */
const mapping = () => {
  expect(streamMappings()).toHaveLength(2);
  const found = streamMappings().filter(
    ([, m]) => JSON.stringify(m.Properties.FunctionName) === JSON.stringify({ Ref: projectorId() }),
  );
  expect(found).toHaveLength(1);
  return (found[0] as [string, Resource])[1].Properties;
};

describe('the projector event source mapping', () => {
  it('is one of the two readers of the events stream (DynamoDB Streams allow two per shard; the other is the relay)', () => {
    const eventsId = logicalId(stack.eventStore.eventsTable);
    expect(mapping().EventSourceArn).toEqual({ 'Fn::GetAtt': [eventsId, 'StreamArn'] });
    expect(mapping().FunctionName).toEqual({ Ref: projectorId() });
  });

  it('starts at TRIM_HORIZON, 500 records a batch, no batching window', () => {
    expect(mapping()).toMatchObject({
      StartingPosition: 'TRIM_HORIZON',
      BatchSize: 500,
      MaximumBatchingWindowInSeconds: 0,
    });
  });

  it('bisects failing batches, retries 5 times, gives up on records older than 6 hours', () => {
    expect(mapping()).toMatchObject({
      BisectBatchOnFunctionError: true,
      MaximumRetryAttempts: 5,
      MaximumRecordAgeInSeconds: 6 * 3600,
    });
  });

  it('reports batch item failures and keeps one batch per shard at a time', () => {
    expect(mapping().FunctionResponseTypes).toEqual(['ReportBatchItemFailures']);
    expect(mapping().ParallelizationFactor).toBe(1);
  });

  it('takes every record, so a MODIFY or REMOVE of an event reaches the tamper alarm instead of passing unseen', () => {
    expect(mapping().FilterCriteria).toBeUndefined();
    expect(resource(logicalId(stack.projector.tamperAlarm)).Properties).toMatchObject({
      Namespace: 'Ledgerline',
      MetricName: 'EventsChangedOrRemoved',
      Threshold: 1,
    });
  });

  it('sends what still fails to the failure queue', () => {
    const queueId = logicalId(stack.projector.failures);
    expect(mapping().DestinationConfig).toEqual({
      OnFailure: { Destination: { 'Fn::GetAtt': [queueId, 'Arn'] } },
    });
    expect(actionsOn(projectorRoleId(), queueId)).toEqual(expect.arrayContaining(['sqs:SendMessage']));
  });
});

describe('the failure queue', () => {
  it('is encrypted, keeps messages 14 days and refuses plain HTTP', () => {
    const queueId = logicalId(stack.projector.failures);
    expect(resource(queueId).Properties).toMatchObject({
      KmsMasterKeyId: { 'Fn::GetAtt': [expect.stringMatching(/^LedgerDataKey/), 'Arn'] },
      MessageRetentionPeriod: 14 * 24 * 3600,
    });
    const policies = ofType('AWS::SQS::QueuePolicy').filter(([, p]) =>
      JSON.stringify(p.Properties.Queues).includes(`"${queueId}"`),
    );
    expect(JSON.stringify(policies)).toContain('"aws:SecureTransport":"false"');
  });
});

describe('alarms', () => {
  const alarms = () => ofType('AWS::CloudWatch::Alarm').map(([, a]) => a.Properties);

  it('fire when the projector is more than a minute behind the stream', () => {
    expect(alarms()).toContainEqual(
      expect.objectContaining({
        Namespace: 'AWS/Lambda',
        MetricName: 'IteratorAge',
        Statistic: 'Maximum',
        Dimensions: [{ Name: 'FunctionName', Value: { Ref: projectorId() } }],
        Threshold: 60_000,
        ComparisonOperator: 'GreaterThanThreshold',
      }),
    );
  });

  it('fire as soon as a message sits in the failure queue', () => {
    expect(alarms()).toContainEqual(
      expect.objectContaining({
        Namespace: 'AWS/SQS',
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Dimensions: [
          { Name: 'QueueName', Value: { 'Fn::GetAtt': [logicalId(stack.projector.failures), 'QueueName'] } },
        ],
        Threshold: 0,
        ComparisonOperator: 'GreaterThanThreshold',
        EvaluationPeriods: 1,
      }),
    );
  });
});

describe('read-model tables', () => {
  it('are two per model (blue and green) plus the pointers table, keyed as the adapter expects', () => {
    for (const model of READ_MODELS) {
      const sorted = model === 'account-history' || model === 'daily-totals';
      for (const table of [stack.readModels.tables[model].blue, stack.readModels.tables[model].green]) {
        const props = resource(logicalId(table)).Properties;
        expect(props.KeySchema, model).toEqual([
          { AttributeName: 'pk', KeyType: 'HASH' },
          ...(sorted ? [{ AttributeName: 'sk', KeyType: 'RANGE' }] : []),
        ]);
      }
    }
    expect(resource(logicalId(stack.readModels.pointers)).Properties.KeySchema).toEqual([
      { AttributeName: 'pk', KeyType: 'HASH' },
    ]);
  });

  it('are on demand with PITR, no stream, and destroyed with the stack (rebuildable from events)', () => {
    const tables = [
      ...READ_MODELS.flatMap((m) => [stack.readModels.tables[m].blue, stack.readModels.tables[m].green]),
      stack.readModels.pointers,
    ];
    for (const table of tables) {
      const r = resource(logicalId(table));
      expect(r.Properties.BillingMode).toBe('PAY_PER_REQUEST');
      expect(r.Properties.StreamSpecification).toBeUndefined();
      expect(r.Properties.Replicas).toEqual([
        expect.objectContaining({ PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true } }),
      ]);
      expect(r.DeletionPolicy).toBe('Delete');
    }
  });
});

describe('projector grants', () => {
  it('may read the events table (gap fills) but never write it', () => {
    const eventsId = logicalId(stack.eventStore.eventsTable);
    const onTable = statementsOf(projectorRoleId())
      .filter((s) =>
        resourcesOf(s).some((r) => JSON.stringify(r) === JSON.stringify({ 'Fn::GetAtt': [eventsId, 'Arn'] })),
      )
      .flatMap(actions);
    expect([...new Set(onTable)].sort()).toEqual(['dynamodb:GetItem', 'dynamodb:Query']);
    expect(actionsOn(projectorRoleId(), eventsId).filter((a) => /Put|Update|Delete|Write/.test(a))).toEqual(
      [],
    );
  });

  it('may read the events stream', () => {
    const eventsId = logicalId(stack.eventStore.eventsTable);
    const onStream = statementsOf(projectorRoleId())
      .filter(
        (s) =>
          JSON.stringify(s.Resource).includes('StreamArn') && JSON.stringify(s.Resource).includes(eventsId),
      )
      .flatMap(actions);
    expect(onStream).toEqual(
      expect.arrayContaining(['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator']),
    );
  });

  it('may get, put (also in batches) and update every read-model table (both slots), never DeleteItem; and read the pointers', () => {
    for (const model of READ_MODELS) {
      for (const table of [stack.readModels.tables[model].blue, stack.readModels.tables[model].green]) {
        expect(actionsOn(projectorRoleId(), logicalId(table)), model).toEqual([
          'dynamodb:BatchWriteItem',
          'dynamodb:GetItem',
          'dynamodb:PutItem',
          'dynamodb:UpdateItem',
        ]);
      }
    }
    expect(actionsOn(projectorRoleId(), logicalId(stack.readModels.pointers))).toEqual(['dynamodb:GetItem']);
  });

  it('get every table name in the variables lambdas/shared/config.ts reads', () => {
    const env = (resource(projectorId()).Properties.Environment as { Variables: Json }).Variables;
    expect(env.EVENTS_TABLE_NAME).toEqual({ Ref: logicalId(stack.eventStore.eventsTable) });
    expect(env.READ_MODEL_POINTERS_TABLE).toEqual({ Ref: logicalId(stack.readModels.pointers) });
    const blue = logicalId(stack.readModels.tables['account-view'].blue);
    const green = logicalId(stack.readModels.tables['account-view'].green);
    expect(env.ACCOUNT_VIEW_TABLES).toEqual({ 'Fn::Join': ['', [{ Ref: blue }, ',', { Ref: green }]] });
    for (const name of ['ACCOUNT_HISTORY_TABLES', 'TRANSFER_VIEW_TABLES', 'DAILY_TOTALS_TABLES']) {
      expect(env[name], name).toBeDefined();
    }
  });
});

describe('read routes', () => {
  it('get only the read models they serve, read-only', () => {
    for (const route of ROUTES.filter((r) => r.readModels)) {
      const fn = stack.functions.get(routeId(route));
      if (!fn) throw new Error(`no function for ${route.path}`);
      const env = (resource(logicalId(fn.function)).Properties.Environment as { Variables: Json }).Variables;
      const granted = READ_MODELS.filter((m) =>
        Object.keys(env).includes(`${m.toUpperCase().replace('-', '_')}_TABLES`),
      );
      expect(granted, route.path).toEqual(route.readModels);
      for (const model of route.readModels ?? []) {
        expect(actionsOn(logicalId(fn.role), logicalId(stack.readModels.tables[model].blue))).toEqual([
          'dynamodb:GetItem',
          'dynamodb:Query',
        ]);
      }
    }
  });
});
