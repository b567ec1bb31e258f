// The rendered API reference (GET /docs): every operation of the generated OpenAPI document, the auth
// schemes, the problem types with their examples; self-contained (nothing loads from elsewhere); and
// served by the local gateway from the API's own GET /openapi.json.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handler as getOpenApi } from '../../../lambdas/handlers/api/get-openapi.ts';
import { buildOpenApiDocument } from '../../../lambdas/handlers/api/openapi.ts';
import { type ApiGateway, startApiGateway } from '../../../local/api-gateway.ts';
import type { ApiRoute } from '../../../local/api-model.ts';
import {
  escapeHtml,
  operationAnchor,
  operationsOf,
  renderApiReference,
} from '../../../local/api-reference.ts';
import type { LambdaPool } from '../../../local/lambda-pool.ts';
import { apiEvent, bodyOf, lambdaContext } from '../../support/api-events.ts';
import { apiModelOf } from '../../support/api-model.ts';

const document = buildOpenApiDocument();
const page = renderApiReference(document);

describe('GET /openapi.json, which the page renders', () => {
  it('serves the very document test/unit/openapi validates as OpenAPI 3.1, with its auth scheme', async () => {
    const response = await getOpenApi(apiEvent('GET', '/openapi.json', { tenant: null }), lambdaContext());
    expect(response.statusCode).toBe(200);
    const served = bodyOf(response);
    expect(served).toEqual(JSON.parse(JSON.stringify(document)));
    expect(served).toMatchObject({
      openapi: expect.stringMatching(/^3\.1\./),
      components: { securitySchemes: { ApiKey: { type: 'apiKey', in: 'header', name: 'x-api-key' } } },
    });
  });
});

describe('the API reference page', () => {
  it('has every operation of openapi.json, with its method, path and summary', () => {
    const operations = operationsOf(document);
    expect(operations.length).toBeGreaterThan(20);
    for (const { path, method, operation } of operations) {
      const anchor = operationAnchor(method, path, operation);
      const section = page.slice(page.indexOf(`id="${anchor}"`));
      expect(section, `${method} ${path}`).toContain(
        `<span class="method">${method.toUpperCase()}</span> <code>${escapeHtml(path)}</code>`,
      );
      expect(page).toContain(`href="#${anchor}"`);
    }
  });

  it('shows parameters, request and response schemas, and the auth of each operation', () => {
    const transfer = page.slice(
      page.indexOf('id="op-postTransfer"'),
      page.indexOf('</section>', page.indexOf('id="op-postTransfer"')),
    );
    expect(transfer).toContain('<code>Idempotency-Key</code>');
    expect(transfer).toContain('Request body (required)');
    expect(transfer).toContain('&quot;exclusiveMinimum&quot;: 0');
    expect(transfer).toContain('<a href="#schemas-Transfer">&quot;Transfer&quot;</a>');
    expect(transfer).toContain('Auth: <a href="#auth-ApiKey">ApiKey</a>');
    const contract = page.slice(page.indexOf('id="op-getOpenApiDocument"'));
    expect(contract).toContain('Auth: none (public)');
  });

  it('documents the auth schemes and every problem type with its example', () => {
    expect(page).toContain('<div id="auth-ApiKey"><h3>ApiKey</h3><p>apiKey in header <code>x-api-key</code>');
    const examples = (document.components as { examples: Record<string, { value: { type: string } }> })
      .examples;
    expect(Object.keys(examples).length).toBeGreaterThan(30);
    for (const [code, example] of Object.entries(examples)) {
      expect(page).toContain(`<div id="examples-${code}">`);
      expect(page).toContain(escapeHtml(JSON.stringify(example.value.type)));
    }
  });

  it('loads nothing from anywhere: no script, no stylesheet link, no remote URL', () => {
    expect(page).not.toMatch(
      /<script|<link|<img|<iframe|src=|https?:\/\/(?!json-schema\.org|spec\.openapis)/i,
    );
    expect(page.startsWith('<!doctype html>')).toBe(true);
  });

  it('escapes what the document says', () => {
    const hostile = renderApiReference({
      info: { title: '<script>alert(1)</script>' },
      paths: { '/x': { get: { summary: '<img src=x>', responses: {} } } },
    });
    expect(hostile).not.toContain('<script>alert');
    expect(hostile).toContain('&lt;img src=x&gt;');
  });
});

describe('GET /docs on the local gateway', () => {
  let gateway: ApiGateway;
  const contract: ApiRoute = {
    logicalId: 'Contract',
    resourceId: 'r1',
    path: '/openapi.json',
    method: 'GET',
    apiKeyRequired: false,
    integration: {
      kind: 'mock',
      statusCode: 200,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        openapi: '3.1.0',
        info: { title: 'Mocked', version: '7' },
        paths: { '/things/{id}': { get: { operationId: 'getThing', summary: 'One thing', responses: {} } } },
      }),
    },
  };

  beforeAll(async () => {
    gateway = await startApiGateway({
      model: apiModelOf([contract]),
      pool: {} as LambdaPool, // mock integrations never reach it
      region: 'us-east-1',
      port: 0,
    });
  });
  afterAll(async () => {
    await gateway?.stop();
  });

  it('renders the API’s own /openapi.json as a page', async () => {
    const response = await fetch(`${gateway.url}/docs`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(response.headers.get('content-security-policy')).toMatch(/default-src 'none'/);
    const html = await response.text();
    expect(html).toContain('<title>Mocked reference</title>');
    expect(html).toContain('id="op-getThing"');
  });

  it('is only GET /docs: another method or path is still API Gateway’s 403', async () => {
    expect((await fetch(`${gateway.url}/docs`, { method: 'POST' })).status).toBe(403);
    expect((await fetch(`${gateway.url}/docs/more`)).status).toBe(403);
  });
});
