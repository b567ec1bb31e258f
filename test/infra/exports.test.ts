import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { STREAMING_TIMEOUT_SECONDS } from '../../lib/exports.ts';
import { ROUTES } from '../../lib/routes.ts';
import {
  actionsOf,
  logicalId,
  ofType,
  resource,
  routeFunction,
  stack,
  statementsOfRole,
  synthesizeStack,
  touches,
} from './stack-under-test.ts';

synthesizeStack({ bundling: false });

describe('statements (issue 14)', () => {
  const streaming = ROUTES.filter((r) => r.responseStreaming);

  it('streams GET /accounts/{id}/statement.csv', () => {
    expect(streaming.map((r) => `${r.method} ${r.path}`)).toEqual(['GET /accounts/{id}/statement.csv']);
  });

  it('serves each streaming route with API Gateway REST response streaming to its own function', () => {
    for (const route of streaming) {
      const { id, props } = routeFunction(route);
      expect(props.Timeout).toBe(STREAMING_TIMEOUT_SECONDS);
      const methods = ofType('AWS::ApiGateway::Method').filter(([, m]) =>
        JSON.stringify(m.Properties.Integration).includes(`"${id}","Arn"`),
      );
      expect(methods).toHaveLength(1);
      const integration = methods[0]?.[1].Properties.Integration as Record<string, unknown>;
      expect(integration).toMatchObject({ Type: 'AWS_PROXY', ResponseTransferMode: 'STREAM' });
      const uri = JSON.stringify(integration.Uri);
      expect(uri).toContain(':lambda:path/2021-11-15/functions/');
      expect(uri).toContain('/response-streaming-invocations');
    }
  });

  it('synthesizes the statement method as it was when lib/exports.ts switched it on the L1 method (fixture)', () => {
    const [route] = streaming;
    if (!route) throw new Error('no streaming route');
    const { id } = routeFunction(route);
    const [method] = ofType('AWS::ApiGateway::Method').filter(([, m]) =>
      JSON.stringify(m.Properties.Integration).includes(`"${id}","Arn"`),
    );
    const fixture = join(import.meta.dirname, 'exports-statement-method.json');
    expect(method?.[1]).toEqual(JSON.parse(readFileSync(fixture, 'utf8')));
  });

  it('leaves every other route buffered', () => {
    const streamed = ofType('AWS::ApiGateway::Method').filter(([, m]) =>
      JSON.stringify(m.Properties.Integration).includes('STREAM'),
    );
    expect(streamed).toHaveLength(streaming.length);
  });
});

describe('exports (issue 14)', () => {
  const route = (method: string, path: string) => {
    const found = ROUTES.find((r) => r.method === method && r.path === path);
    if (!found) throw new Error(`no route ${method} ${path}`);
    return routeFunction(found);
  };
  /** What a role may do on the jobs table, and on the files. */
  const reach = (roleId: string) => {
    const statements = statementsOfRole(roleId);
    const jobs = logicalId(stack.exports.jobs);
    const files = logicalId(stack.exports.files);
    return {
      jobs: statements
        .filter((s) => touches(s, jobs))
        .flatMap(actionsOf)
        .filter((action) => action.startsWith('dynamodb:'))
        .sort(),
      files: statements
        .filter((s) => JSON.stringify(s.Resource).includes(files))
        .map((s) => ({ actions: actionsOf(s).sort(), resource: JSON.stringify(s.Resource) })),
    };
  };

  it('indexes the history by tenant and time (both tables) and lets the worker read it, not the account view', () => {
    const { blue, green } = stack.readModels.tables['account-history'];
    for (const table of [blue, green]) {
      expect(resource(logicalId(table)).Properties.GlobalSecondaryIndexes).toEqual([
        expect.objectContaining({
          IndexName: 'by-tenant-time',
          KeySchema: [
            { AttributeName: 'ledgerPk', KeyType: 'HASH' },
            { AttributeName: 'ledgerSk', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        }),
      ]);
    }
    const statements = statementsOfRole(logicalId(stack.exports.worker.role));
    const history = statements.filter((s) => touches(s, logicalId(blue)));
    expect(history.flatMap(actionsOf)).toContain('dynamodb:Query');
    expect(JSON.stringify(history.map((s) => s.Resource))).toContain('/index/by-tenant-time');
    const view = logicalId(stack.readModels.tables['account-view'].blue);
    expect(statements.some((s) => JSON.stringify(s.Resource).includes(view))).toBe(false);
  });

  it('lets POST /exports create jobs and enqueue them, and nothing on the files', () => {
    const post = route('POST', '/exports');
    expect(reach(post.roleId)).toEqual({ jobs: ['dynamodb:GetItem', 'dynamodb:PutItem'], files: [] });
    const env = (post.props.Environment as { Variables: Record<string, unknown> }).Variables;
    expect(Object.keys(env)).toEqual(expect.arrayContaining(['EXPORTS_TABLE_NAME', 'EXPORTS_QUEUE_URL']));
  });

  it('lets GET /exports/{id} read jobs and sign GETs of the files under exports/ only', () => {
    const { jobs, files } = reach(route('GET', '/exports/{id}').roleId);
    expect(jobs).toEqual(['dynamodb:GetItem']);
    expect(files).toHaveLength(1);
    expect(files[0]?.actions).toEqual(['s3:GetObject']);
    expect(files[0]?.resource).toContain('/exports/*');
  });

  it('runs the worker on a WorkQueue with one job per message, putting parts under exports/ only', () => {
    const roleId = logicalId(stack.exports.worker.role);
    const { jobs, files } = reach(roleId);
    expect(jobs).toEqual(['dynamodb:GetItem', 'dynamodb:PutItem']);
    expect(files.map((f) => f.actions)).toEqual([
      ['s3:AbortMultipartUpload', 's3:GetObject', 's3:PutObject'],
    ]);
    const mapping = ofType('AWS::Lambda::EventSourceMapping').find(([, m]) =>
      JSON.stringify(m.Properties.FunctionName).includes(logicalId(stack.exports.worker.function)),
    );
    expect(mapping?.[1].Properties).toMatchObject({
      BatchSize: 1,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
    const queue = resource(logicalId(stack.exports.queue.queue)).Properties;
    expect(queue.RedrivePolicy).toMatchObject({ maxReceiveCount: 5 });
  });

  it('keeps the files private, encrypted, TLS only, with incomplete uploads aborted', () => {
    expect(resource(logicalId(stack.exports.files)).Properties).toMatchObject({
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, RestrictPublicBuckets: true },
      BucketEncryption: expect.anything(),
      LifecycleConfiguration: {
        Rules: [expect.objectContaining({ AbortIncompleteMultipartUpload: { DaysAfterInitiation: 2 } })],
      },
    });
  });
});
