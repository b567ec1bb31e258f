// The contract covers the synthesized API: every method of the template has an OpenAPI operation,
// and GET /openapi.json is a public route of its own.
import { describe, expect, it } from 'vitest';
import { buildOpenApiDocument } from '../../lambdas/handlers/api/openapi.ts';
import { methodPath, ofType, synthesizeStack, templateRoutes } from './stack-under-test.ts';

synthesizeStack({ bundling: false });

describe('the OpenAPI document and the synthesized template', () => {
  it('has an operation for every route of the template, and none for a route it lacks', () => {
    const document = buildOpenApiDocument();
    const operations = Object.entries(document.paths as Record<string, Record<string, unknown>>).flatMap(
      ([path, item]) => Object.keys(item).map((method) => `${method.toUpperCase()} ${path}`),
    );
    const routes = templateRoutes();
    expect(routes.length).toBeGreaterThan(20);
    expect(operations.sort()).toEqual(routes.sort());
  });

  it('serves GET /openapi.json without an API key, through its own function', () => {
    const [method] = ofType('AWS::ApiGateway::Method').filter(
      ([, m]) =>
        `${String(m.Properties.HttpMethod)} ${methodPath(m.Properties.ResourceId)}` === 'GET /openapi.json',
    );
    expect(method?.[1].Properties).toMatchObject({
      ApiKeyRequired: false,
      AuthorizationType: 'NONE',
      Integration: { Type: 'AWS_PROXY' },
    });
  });
});
