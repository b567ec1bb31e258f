import { readdirSync, readFileSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { join } from 'node:path';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { ESM_REQUIRE_BANNER } from '../../lib/api-function.ts';
import { EXPORT_WORKER_TIMEOUT_SECONDS, STREAMING_TIMEOUT_SECONDS } from '../../lib/exports.ts';
import { routeId } from '../../lib/ledgerline-stack.ts';
import { isPublic, ROUTES } from '../../lib/routes.ts';

// The resource types the local runtime knows (shared/TEMPLATE-MAP.md, section 2).
const KNOWN_TYPES = new Set([
  'AWS::DynamoDB::GlobalTable',
  'AWS::DynamoDB::Table',
  'AWS::SQS::Queue',
  'AWS::SQS::QueuePolicy',
  'AWS::S3::Bucket',
  'AWS::S3::BucketPolicy',
  'AWS::Lambda::Function',
  'AWS::Lambda::EventSourceMapping',
  'AWS::Lambda::Permission',
  'AWS::IAM::Role',
  'AWS::IAM::Policy',
  'AWS::Logs::LogGroup',
  'AWS::Logs::MetricFilter',
  'AWS::S3::Bucket',
  'AWS::S3::BucketPolicy',
  'AWS::KMS::Key',
  'AWS::SNS::Topic',
  'AWS::SNS::TopicPolicy',
  'AWS::SNS::Subscription',
  'AWS::CloudWatch::Dashboard',
  'AWS::StepFunctions::StateMachine',
  'AWS::ApiGateway::RestApi',
  'AWS::ApiGateway::Account',
  'AWS::ApiGateway::Deployment',
  'AWS::ApiGateway::Stage',
  'AWS::ApiGateway::Resource',
  'AWS::ApiGateway::Method',
  'AWS::ApiGateway::ApiKey',
  'AWS::ApiGateway::UsagePlan',
  'AWS::ApiGateway::UsagePlanKey',
  'AWS::ApiGateway::Authorizer',
  'AWS::CloudWatch::Alarm',
  'AWS::CDK::Metadata',
  'AWS::SecretsManager::Secret',
  'AWS::Lambda::Url',
  'AWS::S3::Bucket',
  'AWS::S3::BucketPolicy',
  'AWS::Events::Rule',
]);

/** Top-level static imports of a (minified) ESM bundle: `import{a as b}from"x"`, `import "x"`. */
const STATIC_IMPORT = /(?:^|[;}])\s*import\s*(?:[^;'"]*?from\s*)?["']([^"']+)["']/gm;

import {
  app,
  assembly,
  type Json,
  logicalId,
  methodPath,
  ofType,
  only,
  resource,
  resources,
  routeFunction,
  sandbox,
  stack,
  synthesizeStack,
  template,
} from './stack-under-test.ts';

synthesizeStack({ bundling: true });

describe('events table', () => {
  it('is keyed by pk (S) and version (N), on demand', () => {
    const events = resource(logicalId(stack.eventStore.eventsTable));
    expect(events.Type).toBe('AWS::DynamoDB::GlobalTable');
    expect(events.Properties.KeySchema).toEqual([
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'version', KeyType: 'RANGE' },
    ]);
    expect(events.Properties.AttributeDefinitions).toEqual(
      expect.arrayContaining([
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'version', AttributeType: 'N' },
      ]),
    );
    expect(events.Properties.BillingMode).toBe('PAY_PER_REQUEST');
  });

  it('streams NEW_IMAGE for the projectors', () => {
    const events = resource(logicalId(stack.eventStore.eventsTable));
    expect(events.Properties.StreamSpecification).toEqual({ StreamViewType: 'NEW_IMAGE' });
  });

  it('has point-in-time recovery (its lifetime is the stage’s: see stages.test.ts)', () => {
    const events = resource(logicalId(stack.eventStore.eventsTable));
    expect(events.Properties.Replicas).toEqual([
      expect.objectContaining({ PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true } }),
    ]);
  });
});

describe('snapshots table', () => {
  it('is keyed by pk (S) and reducerVersion (N) as the snapshot adapter expects, with no stream', () => {
    const snapshots = resource(logicalId(stack.eventStore.snapshotsTable));
    expect(snapshots.Properties.KeySchema).toEqual([
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'reducerVersion', KeyType: 'RANGE' },
    ]);
    expect(snapshots.Properties.AttributeDefinitions).toEqual(
      expect.arrayContaining([
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'reducerVersion', AttributeType: 'N' },
      ]),
    );
    expect(snapshots.Properties.StreamSpecification).toBeUndefined();
  });

  it('is on demand with point-in-time recovery', () => {
    const snapshots = resource(logicalId(stack.eventStore.snapshotsTable));
    expect(snapshots.Properties.BillingMode).toBe('PAY_PER_REQUEST');
    expect(snapshots.Properties.Replicas).toEqual([
      expect.objectContaining({ PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true } }),
    ]);
  });
});

describe('idempotency table', () => {
  it('has the Powertools layout: key id (S), TTL on expiration, on demand, PITR', () => {
    const table = resource(logicalId(stack.idempotency.table));
    expect(table.Properties.KeySchema).toEqual([{ AttributeName: 'id', KeyType: 'HASH' }]);
    expect(table.Properties.AttributeDefinitions).toEqual([{ AttributeName: 'id', AttributeType: 'S' }]);
    expect(table.Properties.TimeToLiveSpecification).toEqual({ AttributeName: 'expiration', Enabled: true });
    expect(table.Properties.BillingMode).toBe('PAY_PER_REQUEST');
    expect(table.Properties.Replicas).toEqual([
      expect.objectContaining({ PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true } }),
    ]);
  });
});

describe('functions', () => {
  it('are one per route, plus the projector, the relay, the queue workers and the expiry sweep', () => {
    const others = [
      stack.projector.function,
      stack.expirySweep.function.function,
      stack.audit.function.function,
      stack.relay.function,
      stack.processorWebhooks.worker,
      stack.notifications.worker,
      sandbox().function.function,
      stack.tenants.authorizerFunction.function,
      ...[...stack.paymentSaga.functions.values()].map((fn) => fn.function),
      stack.imports.validator.function,
      stack.imports.chunkWorker.function,
      stack.exports.worker.function,
    ];
    expect(ofType('AWS::Lambda::Function')).toHaveLength(ROUTES.length + others.length);
    expect(stack.functions.size).toBe(ROUTES.length);
  });

  it('all run nodejs24.x on arm64 with 1024 MB and active tracing; routes time out after 10 s', () => {
    const timeouts = new Map([
      [logicalId(stack.projector.function.function), 60],
      [logicalId(stack.relay.function.function), 30],
      [logicalId(stack.expirySweep.function.function), 55],
      [logicalId(stack.audit.function.function), 300],
      [logicalId(stack.processorWebhooks.worker.function), 30],
      [logicalId(stack.notifications.worker.function), 20],
      [logicalId(sandbox().function.function), 15],
      [logicalId(stack.tenants.authorizerFunction.function), 5],
      ...[...stack.paymentSaga.functions.values()].map((fn) => [logicalId(fn.function), 15] as const),
      [logicalId(stack.imports.validator.function), 300],
      [logicalId(stack.imports.chunkWorker.function), 300],
      [logicalId(stack.exports.worker.function), EXPORT_WORKER_TIMEOUT_SECONDS],
      ...ROUTES.filter((r) => r.responseStreaming).map(
        (r) => [routeFunction(r).id, STREAMING_TIMEOUT_SECONDS] as const,
      ),
    ]);
    for (const [id, fn] of ofType('AWS::Lambda::Function')) {
      expect({ id, ...fn.Properties }).toMatchObject({
        id,
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        Timeout: timeouts.get(id) ?? 10,
        MemorySize: 1024,
        Handler: 'index.handler',
        TracingConfig: { Mode: 'Active' },
      });
    }
  });

  it('all log JSON to their own log group, which has a retention', () => {
    for (const [id, fn] of ofType('AWS::Lambda::Function')) {
      const config = fn.Properties.LoggingConfig as { LogFormat: string; LogGroup: { Ref: string } };
      expect(config.LogFormat, id).toBe('JSON');
      const group = resource(config.LogGroup.Ref);
      expect(group.Type).toBe('AWS::Logs::LogGroup');
      expect(group.Properties.RetentionInDays, id).toBeGreaterThan(0);
    }
  });

  it('all have source maps enabled and the Powertools settings in their environment', () => {
    for (const [id, fn] of ofType('AWS::Lambda::Function')) {
      expect((fn.Properties.Environment as { Variables: Json }).Variables, id).toMatchObject({
        NODE_OPTIONS: '--enable-source-maps',
        POWERTOOLS_SERVICE_NAME: 'ledgerline',
        LOG_LEVEL: 'INFO',
      });
    }
  });

  it('are ESM bundles (index.mjs) with the createRequire banner, a source map and the AWS SDK inside', () => {
    const manifest = JSON.parse(readFileSync(join(assembly.directory, 'Ledgerline.assets.json'), 'utf8')) as {
      files: Record<
        string,
        { source: { path: string }; destinations: Record<string, { objectKey: string }> }
      >;
    };
    const functions = ofType('AWS::Lambda::Function');
    const noAws = new Set(ROUTES.filter((r) => r.grants.length === 0).map((r) => routeFunction(r).id));
    for (const [id, fn] of functions) {
      const key = (fn.Properties.Code as { S3Key: string }).S3Key;
      const asset = Object.values(manifest.files).find((file) =>
        Object.values(file.destinations).some((d) => d.objectKey === key),
      );
      expect(asset, `${id}: no asset with object key ${key}`).toBeDefined();
      const folder = join(assembly.directory, asset?.source.path ?? '');
      expect(readdirSync(folder).sort(), id).toEqual(['index.mjs', 'index.mjs.map']);
      const code = readFileSync(join(folder, 'index.mjs'), 'utf8');
      expect(code.startsWith(ESM_REQUIRE_BANNER), id).toBe(true);
      expect(code.trimEnd().endsWith('//# sourceMappingURL=index.mjs.map'), id).toBe(true);
      expect(code, id).toMatch(/export\s*\{[^}]*\bhandler\b[^}]*\}/);
      // externalModules: [] — the bundle imports only Node built-ins, the AWS SDK is inside.
      const imports = [...code.matchAll(STATIC_IMPORT)].map((m) => m[1] ?? '');
      expect(
        imports.filter((specifier) => !isBuiltin(specifier)),
        id,
      ).toEqual([]);
      // Every function talks to DynamoDB or SQS (the relay only to SQS) with the SDK it carries,
      // except the contract's, which only answers a document.
      if (!noAws.has(id)) expect(code, id).toMatch(/DynamoDB_20120810|AmazonSQS/);
      expect(JSON.parse(readFileSync(join(folder, 'index.mjs.map'), 'utf8')).version, id).toBe(3);
    }
  });

  it('get the table names under the names lambdas/shared/config.ts reads', () => {
    const eventsId = logicalId(stack.eventStore.eventsTable);
    const snapshotsId = logicalId(stack.eventStore.snapshotsTable);
    const idempotencyId = logicalId(stack.idempotency.table);
    for (const route of ROUTES) {
      const { id, props } = routeFunction(route);
      const env = (props.Environment as { Variables: Json }).Variables;
      // Routes granted no event store (the signed processor webhook) never touch the ledger.
      const ledger = route.grants.includes('append-events') || route.grants.includes('read-events');
      expect(env.EVENTS_TABLE_NAME, id).toEqual(ledger ? { Ref: eventsId } : undefined);
      expect(env.SNAPSHOTS_TABLE_NAME, id).toEqual(ledger ? { Ref: snapshotsId } : undefined);
      if (route.grants.includes('idempotency'))
        expect(env.IDEMPOTENCY_TABLE_NAME, id).toEqual({ Ref: idempotencyId });
      else expect(env.IDEMPOTENCY_TABLE_NAME, id).toBeUndefined();
    }
  });
});

describe('REST API', () => {
  it('has exactly the routes of ROUTES, each a Lambda proxy to its own function, each requiring an API key unless public', () => {
    const methods = ofType('AWS::ApiGateway::Method');
    const signed = new Set(ROUTES.filter(isPublic).map((r) => `${r.method} ${r.path}`));
    const seen = methods.map(([id, m]) => {
      const route = `${m.Properties.HttpMethod as string} ${methodPath(m.Properties.ResourceId)}`;
      expect(m.Properties.ApiKeyRequired, id).toBe(!signed.has(route));
      const integration = m.Properties.Integration as { Type: string; Uri: unknown };
      expect(integration.Type, id).toBe('AWS_PROXY');
      const target = JSON.stringify(integration.Uri).match(/"Fn::GetAtt":\["([^"]+)","Arn"\]/)?.[1];
      return `${m.Properties.HttpMethod as string} ${methodPath(m.Properties.ResourceId)} -> ${target}`;
    });
    const expected = ROUTES.map((r) => `${r.method} ${r.path} -> ${routeFunction(r).id}`);
    expect(seen.sort()).toEqual(expected.sort());
  });

  it('serves stage v1 with tracing, access logs and method throttling', () => {
    const [, stage] = only('AWS::ApiGateway::Stage');
    expect(stage.Properties).toMatchObject({
      StageName: 'v1',
      TracingEnabled: true,
      AccessLogSetting: {
        DestinationArn: expect.anything(),
        Format: expect.stringContaining('$context.requestId'),
      },
      MethodSettings: expect.arrayContaining([
        expect.objectContaining({
          HttpMethod: '*',
          ResourcePath: '/*',
          ThrottlingRateLimit: expect.any(Number),
          ThrottlingBurstLimit: expect.any(Number),
        }),
      ]),
    });
    expect(JSON.stringify(stage.Properties.AccessLogSetting)).toContain(logicalId(stack.api.accessLogs));
    expect((stage.Properties.AccessLogSetting as { Format: string }).Format).toContain(
      '$context.authorizer.tenantId',
    );
  });

  it('outputs the API URL and what the tenants CLI needs', () => {
    const outputs = template.toJSON().Outputs as Record<string, { Value: unknown }>;
    expect(JSON.stringify(outputs.ApiUrl?.Value)).toContain(logicalId(stack.api.api));
    expect(outputs.TenantsTableName?.Value).toEqual({ Ref: 'TenantsTable' });
    expect(outputs.TenantKeyPepperArn?.Value).toEqual({ Ref: 'TenantKeyPepper' });
    for (const plan of Object.values(stack.api.tierPlans)) {
      expect(JSON.stringify(outputs.TenantTierPlans?.Value)).toContain(logicalId(plan));
    }
  });
});

describe('template', () => {
  it('uses only resource types the local runtime knows (no custom resources)', () => {
    const unknown = [...new Set(Object.values(resources).map((r) => r.Type))].filter(
      (t) => !KNOWN_TYPES.has(t),
    );
    expect(unknown).toEqual([]);
  });

  it('has no unacknowledged cdk-nag AwsSolutions finding', () => {
    const report = new AwsSolutionsChecks().validateScope(app);
    const findings = report.violations.flatMap((v) =>
      v.violatingResources.map((r) => `${v.ruleName} at ${r.constructPath ?? '?'}`),
    );
    expect(findings).toEqual([]);
  });
});

describe('routeId', () => {
  it('turns a method and path into a stable PascalCase construct id', () => {
    expect(routeId({ method: 'POST', path: '/accounts/{id}/deposits' })).toBe('PostAccountsIdDeposits');
    expect(routeId({ method: 'GET', path: '/accounts/{id}' })).toBe('GetAccountsId');
  });
});
