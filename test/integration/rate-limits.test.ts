// Rate limits, end to end on the local runtime: a stack built from the real LedgerApi construct with
// low limits (a tenant may send 3 requests, then one every 50 s; the unauthenticated webhook route 2,
// then one every 50 s), whose routes echo the request. A tenant over its rate gets API Gateway's 429
// with Retry-After while another tenant is served; the webhook route has a throttle of its own.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Duration, Stack } from 'aws-cdk-lib';
import { IdentitySource, RequestAuthorizer } from 'aws-cdk-lib/aws-apigateway';
import { Runtime } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { LedgerApi } from '../../lib/ledger-api.ts';
import type { RouteSpec } from '../../lib/routes.ts';
import type { LocalRuntime } from '../../local/runtime.ts';
import { describeTarget } from './target.ts';

const projectRoot = join(import.meta.dirname, '..', '..');
const ONE = 'rate-limit-tenant-one-0123456789';
const TWO = 'rate-limit-tenant-two-0123456789';
/** One token every 50 s: nothing refills while the test runs. */
const SLOW = 0.02;
const TENANT_BURST = 3;
const WEBHOOK_BURST = 2;
const ACCOUNT: RouteSpec = { method: 'GET', path: '/accounts/{id}', entry: 'echo', grants: [] };
const WEBHOOK: RouteSpec = {
  method: 'POST',
  path: '/webhooks/processor',
  entry: 'echo',
  grants: [],
  auth: 'webhook-signature',
};

/** The low-limit stack's cloud assembly in `outdir`. */
function synthesize(outdir: string): void {
  const app = new App({ outdir });
  const stack = new Stack(app, 'RateLimits');
  const fixture = (name: string) =>
    new NodejsFunction(stack, name, {
      entry: join(projectRoot, 'test', 'fixtures', 'local-app', 'handlers', `${name.toLowerCase()}.ts`),
      runtime: Runtime.NODEJS_24_X,
      timeout: Duration.seconds(5),
      projectRoot,
      depsLockFilePath: join(projectRoot, 'package-lock.json'),
      bundling: { format: OutputFormat.ESM, target: 'node24', mainFields: ['module', 'main'] },
    });
  const authorizer = new RequestAuthorizer(stack, 'Authorizer', {
    handler: fixture('Key-Authorizer'),
    identitySources: [IdentitySource.header('x-api-key')],
    resultsCacheTtl: Duration.seconds(0),
  });
  // Every tier as slow, so whichever plan a test key joins meters it the same.
  const slow = { rateLimit: SLOW, burstLimit: TENANT_BURST, monthlyQuota: 1_000_000 };
  const api = new LedgerApi(stack, 'LedgerApi', {
    authorizer,
    tiers: { free: slow, standard: slow, enterprise: slow },
    publicRoutes: [WEBHOOK],
    publicRouteThrottle: { rateLimit: SLOW, burstLimit: WEBHOOK_BURST },
  });
  const echo = fixture('WhoAmI');
  api.addRoute(ACCOUNT, echo);
  api.addRoute(WEBHOOK, echo);
  app.synth();
}

describeTarget(
  'rate limits',
  inject('targetName') === 'local'
    ? inject('skipReason')
    : 'needs the local runtime (a low-limit stack of its own)',
  inject('targetName'),
  () => {
    let outdir: string;
    let runtime: LocalRuntime;

    beforeAll(async () => {
      outdir = mkdtempSync(join(tmpdir(), 'ledgerline-rate-limits-'));
      synthesize(outdir);
      const { startLocalRuntime } = await import('../../local/runtime.ts');
      runtime = await startLocalRuntime({
        cdkOut: outdir,
        projectRoot,
        port: 0,
        apiKeys: [ONE, TWO],
        log: () => {},
      });
    });
    afterAll(async () => {
      await runtime?.stop();
      if (outdir) rmSync(outdir, { recursive: true, force: true });
    });

    const send = async (method: string, path: string, key?: string) => {
      const response = await fetch(`${runtime.apiUrl}${path}`, {
        method,
        headers: { ...(key ? { 'x-api-key': key } : {}), 'content-type': 'application/json' },
        ...(method === 'POST' ? { body: '{}' } : {}),
      });
      return {
        status: response.status,
        body: await response.text(),
        errorType: response.headers.get('x-amzn-errortype'),
        retryAfter: Number(response.headers.get('retry-after')),
      };
    };

    it('answers a tenant over its rate 429 with Retry-After, and keeps serving another tenant', async () => {
      for (let i = 0; i < TENANT_BURST; i++)
        expect((await send('GET', '/accounts/a1', ONE)).status).toBe(200);
      const throttled = await send('GET', '/accounts/a1', ONE);
      expect(throttled).toMatchObject({ status: 429, errorType: 'TooManyRequestsException' });
      expect(JSON.parse(throttled.body)).toEqual({ message: 'Too Many Requests' });
      // Seconds until the tenant's bucket holds a token again: at most 1 / rate.
      expect(throttled.retryAfter).toBeGreaterThanOrEqual(1);
      expect(throttled.retryAfter).toBeLessThanOrEqual(1 / SLOW);
      expect((await send('GET', '/accounts/a2', ONE)).status).toBe(429);

      const other = await send('GET', '/accounts/b1', TWO);
      expect(other.status).toBe(200);
      expect(JSON.parse(other.body)).toMatchObject({ apiKey: TWO, pathParameters: { id: 'b1' } });
    });

    it('gives the unauthenticated webhook route a throttle of its own, apart from the tenants', async () => {
      for (let i = 0; i < WEBHOOK_BURST; i++)
        expect((await send('POST', '/webhooks/processor')).status).toBe(200);
      const flooded = await send('POST', '/webhooks/processor');
      expect(flooded).toMatchObject({ status: 429, errorType: 'TooManyRequestsException' });
      expect(flooded.retryAfter).toBeGreaterThanOrEqual(1);
      // The flood took nothing from the tenants: tenant two still has the rest of its burst.
      expect((await send('GET', '/accounts/b2', TWO)).status).toBe(200);
    });
  },
);
