// The correlation id in the OpenAPI document: every operation (public ones too) takes `X-Correlation-Id`
// and every answer its function gives carries it back; the answers API Gateway gives itself do not.
import { describe, expect, it } from 'vitest';
import { buildOpenApiDocument, type Json } from '../../../lambdas/handlers/api/openapi.ts';
import { ROUTES } from '../../../lib/routes.ts';

const document = buildOpenApiDocument();
const components = document.components as {
  parameters: Record<string, Json>;
  headers: Record<string, Json>;
};
const operations = Object.entries(document.paths as Record<string, Record<string, Json>>).flatMap(
  ([path, item]) =>
    Object.entries(item).map(([method, operation]) => ({ key: `${method} ${path}`, operation })),
);

/** A `$ref` into `#/components/<kind>/…`, resolved. */
function resolved(value: unknown, kind: 'parameters' | 'headers'): Json | undefined {
  const ref = (value as { $ref?: string } | undefined)?.$ref;
  const prefix = `#/components/${kind}/`;
  return ref?.startsWith(prefix) ? components[kind][ref.slice(prefix.length)] : undefined;
}

describe('X-Correlation-Id in the OpenAPI document', () => {
  it('is a request header parameter of every operation, the public routes’ included', () => {
    expect(operations).toHaveLength(ROUTES.length);
    for (const { key, operation } of operations) {
      const headers = (operation.parameters as unknown[])
        .map((p) => resolved(p, 'parameters') ?? (p as Json))
        .filter((p) => p.in === 'header' && String(p.name).toLowerCase() === 'x-correlation-id');
      expect(headers, key).toEqual([
        expect.objectContaining({ name: 'X-Correlation-Id', required: false, schema: expect.any(Object) }),
      ]);
    }
  });

  it('accepts what the API accepts: 1-128 letters, digits and _.:-', () => {
    const pattern = new RegExp(
      String((components.parameters.CorrelationId?.schema as Json | undefined)?.pattern),
    );
    expect(pattern.test('corr-01J:abc_def.1')).toBe(true);
    expect(pattern.test('x'.repeat(128))).toBe(true);
    expect(pattern.test('x'.repeat(129))).toBe(false);
    expect(pattern.test('has space')).toBe(false);
  });

  it('is a response header of every answer the function gives, errors included, not of API Gateway’s own', () => {
    let functionAnswers = 0;
    let gatewayAnswers = 0;
    for (const { key, operation } of operations) {
      for (const [status, response] of Object.entries(operation.responses as Record<string, Json>)) {
        const media = Object.entries(response.content as Record<string, { schema: { $ref?: string } }>);
        const gatewayOnly = media.every(
          ([type, m]) => type === 'application/json' && m.schema.$ref === '#/components/schemas/GatewayError',
        );
        const header = resolved((response.headers as Json | undefined)?.['X-Correlation-Id'], 'headers');
        if (gatewayOnly) {
          gatewayAnswers++;
          expect(header, `${key} ${status}`).toBeUndefined();
        } else {
          functionAnswers++;
          expect(header, `${key} ${status}`).toMatchObject({ schema: { type: 'string' } });
        }
      }
    }
    expect(functionAnswers).toBeGreaterThan(ROUTES.length * 2);
    expect(gatewayAnswers).toBeGreaterThan(ROUTES.length);
  });
});
