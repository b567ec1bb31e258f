// The local gateway enforces what a CDK app's template declares: stage and method throttles from the
// stage's MethodSettings, usage plan throttles and quotas per API key. Mock integrations: no Lambda.
// Limits refill at 0.01 token a second, so nothing here depends on how long a request takes.
import { App, Stack } from 'aws-cdk-lib';
import { MockIntegration, Period, RestApi } from 'aws-cdk-lib/aws-apigateway';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type ApiGateway, startApiGateway } from '../../../local/api-gateway.ts';
import { ApiKeyRegistry } from '../../../local/api-keys.ts';
import { type ApiModel, apiGatewayValues, buildApiModel } from '../../../local/api-model.ts';
import type { CfnTemplate } from '../../../local/cloud-assembly.ts';
import type { LambdaPool } from '../../../local/lambda-pool.ts';
import type { PlannedResource } from '../../../local/template.ts';
import { StackValues } from '../../../local/values.ts';

const SLOW = 0.01;
const KEYS = {
  one: 'limits-key-one-0123456789',
  two: 'limits-key-two-0123456789',
  capped: 'limits-capped-0123456789',
};

function synthesize(): CfnTemplate {
  const app = new App();
  const stack = new Stack(app, 'Limits');
  const api = new RestApi(stack, 'Api', {
    defaultMethodOptions: { apiKeyRequired: true },
    deployOptions: {
      stageName: 'v1',
      throttlingRateLimit: SLOW,
      throttlingBurstLimit: 6,
      methodOptions: { '/hooks/POST': { throttlingRateLimit: SLOW, throttlingBurstLimit: 2 } },
    },
  });
  const ok = new MockIntegration({
    requestTemplates: { 'application/json': '{"statusCode": 200}' },
    integrationResponses: [{ statusCode: '200', responseTemplates: { 'application/json': '{"ok":true}' } }],
  });
  const items = api.root.addResource('items');
  const getItems = items.addMethod('GET', ok, { methodResponses: [{ statusCode: '200' }] });
  items.addMethod('POST', ok, { methodResponses: [{ statusCode: '200' }] });
  api.root.addResource('hooks').addMethod('POST', ok, { apiKeyRequired: false });
  const throttled = api.addUsagePlan('Throttled', {
    throttle: { rateLimit: SLOW, burstLimit: 3 },
    apiStages: [
      {
        stage: api.deploymentStage,
        throttle: [{ method: getItems, throttle: { rateLimit: SLOW, burstLimit: 2 } }],
      },
    ],
  });
  throttled.addApiKey(api.addApiKey('One', { value: KEYS.one }));
  throttled.addApiKey(api.addApiKey('Two', { value: KEYS.two }));
  const capped = api.addUsagePlan('Capped', {
    quota: { limit: 2, period: Period.DAY },
    apiStages: [{ stage: api.deploymentStage }],
  });
  capped.addApiKey(api.addApiKey('CappedKey', { value: KEYS.capped }));
  return app.synth().getStackByName('Limits').template;
}

/** The served model, as the runtime builds it (API Gateway resources only need their generated ids). */
function modelOf(template: CfnTemplate): ApiModel {
  const values = new StackValues(template, 'Limits', 'us-east-1');
  const role: PlannedResource['role'] = 'build';
  const resources: PlannedResource[] = Object.entries(template.Resources ?? {}).map(([logicalId, r]) => ({
    logicalId,
    type: r.Type,
    properties: r.Properties ?? {},
    role,
  }));
  for (const r of resources.filter((r) => r.type.startsWith('AWS::ApiGateway::'))) {
    values.register(
      r.logicalId,
      r.type,
      apiGatewayValues('Limits', r, (v, at) => values.resolve(v, at)),
    );
  }
  const model = buildApiModel({
    stackName: 'Limits',
    resources,
    values,
    extraKeys: [],
    generatedKeyValue: (id) => `generated-${id}`,
  });
  if (!model) throw new Error('no REST API in the template');
  return model;
}

let model: ApiModel;
let gateway: ApiGateway;

beforeAll(async () => {
  model = modelOf(synthesize());
  // Mock integrations never reach the pool.
  gateway = await startApiGateway({ model, pool: {} as LambdaPool, region: 'us-east-1', port: 0 });
});
afterAll(async () => {
  await gateway?.stop();
});

async function send(method: string, path: string, key?: string) {
  const response = await fetch(`${gateway.url}${path}`, {
    method,
    headers: key ? { 'x-api-key': key } : {},
  });
  return {
    status: response.status,
    body: await response.text(),
    errorType: response.headers.get('x-amzn-errortype'),
    retryAfter: response.headers.get('retry-after'),
  };
}

describe('the template’s limits, served', () => {
  it('are in the model, and no longer announced as not enforced', () => {
    expect(model.notices.join('\n')).not.toMatch(/not enforced/);
    expect(model.limits?.stage).toEqual({ rateLimit: SLOW, burstLimit: 6 });
    expect(model.limits?.methods).toEqual({ '/hooks/POST': { rateLimit: SLOW, burstLimit: 2 } });
    expect(model.limits?.plans.map((p) => [p.throttle, p.quota, p.methods])).toEqual([
      [{ rateLimit: SLOW, burstLimit: 3 }, undefined, { '/items/GET': { rateLimit: SLOW, burstLimit: 2 } }],
      [undefined, { limit: 2, offset: 0, period: 'DAY' }, {}],
    ]);
    const planOf = (value: string) => model.keys.find((k) => k.value === value)?.planId;
    expect(planOf(KEYS.one)).toBe(model.limits?.plans[0]?.id);
    expect(planOf(KEYS.capped)).toBe(model.limits?.plans[1]?.id);
  });

  it('answer 429 in API Gateway’s words, per key, per method, then the quota, then the stage', async () => {
    // The plan's per-method throttle of key one: 2 GETs, then 429 with Retry-After.
    expect((await send('GET', '/items', KEYS.one)).status).toBe(200);
    expect((await send('GET', '/items', KEYS.one)).status).toBe(200);
    const throttled = await send('GET', '/items', KEYS.one);
    expect(throttled).toMatchObject({ status: 429, errorType: 'TooManyRequestsException' });
    expect(JSON.parse(throttled.body)).toEqual({ message: 'Too Many Requests' });
    expect(Number(throttled.retryAfter)).toBeGreaterThanOrEqual(1);
    expect(Number(throttled.retryAfter)).toBeLessThanOrEqual(1 / SLOW);
    // Another key of the same plan has buckets of its own. (stage: 3 of 6 taken)
    expect((await send('GET', '/items', KEYS.two)).status).toBe(200);
    // The unauthenticated method has its own throttle, apart from the stage's.
    expect((await send('POST', '/hooks')).status).toBe(200);
    expect((await send('POST', '/hooks')).status).toBe(200);
    expect((await send('POST', '/hooks')).status).toBe(429);
    // The quota: 2 a day for the capped key, then Limit Exceeded. (stage: 5 of 6)
    expect((await send('GET', '/items', KEYS.capped)).status).toBe(200);
    expect((await send('POST', '/items', KEYS.capped)).status).toBe(200);
    const capped = await send('GET', '/items', KEYS.capped);
    expect(capped).toMatchObject({ status: 429, errorType: 'LimitExceededException' });
    expect(JSON.parse(capped.body)).toEqual({ message: 'Limit Exceeded' });
    // The last stage token, then the stage refuses even the capped key: throttles come before the quota.
    expect((await send('POST', '/items', KEYS.two)).status).toBe(200);
    const stage = await send('GET', '/items', KEYS.capped);
    expect(stage).toMatchObject({ status: 429, errorType: 'TooManyRequestsException' });
  });

  it('resolve the request’s usage key once: the key check and the usage plan’s meter share it', async () => {
    const keys = new ApiKeyRegistry(model);
    const byValue = vi.spyOn(keys, 'byValue');
    const own = await startApiGateway({ model, pool: {} as LambdaPool, region: 'us-east-1', port: 0, keys });
    try {
      const response = await fetch(`${own.url}/items`, {
        method: 'POST',
        headers: { 'x-api-key': KEYS.one },
      });
      expect(response.status).toBe(200);
      expect(byValue).toHaveBeenCalledTimes(1);
    } finally {
      await own.stop();
    }
  });
});
