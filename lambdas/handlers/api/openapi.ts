import { z } from 'zod';
import { CORRELATION_HEADER, CORRELATION_PATTERN } from '../../shared/correlation.ts';
import { ApiError, toProblem } from '../../shared/problems.ts';
import { OPERATIONS, type OperationSpec } from './openapi-operations.ts';
import { PROBLEM_CODES, PROBLEMS, type ProblemCode } from './openapi-problems.ts';
import { gatewayErrorResponse, problemResponse } from './response-schemas.ts';
import { id as idSchema } from './schemas.ts';

/** A JSON object of the document. */
export type Json = { [key: string]: unknown };

const SCHEMAS = '#/components/schemas/';

/**
 * The JSON Schema (2020-12, OpenAPI 3.1's dialect) of a zod schema: requests as they are sent
 * (`input`), responses as they are answered (`output`). Named schemas (`.meta({ id })`) go to
 * `components.schemas` and are referenced from there.
 */
function jsonSchema(schema: z.ZodType, io: 'input' | 'output', components: Json): Json {
  const { $schema: _dialect, $defs, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' });
  const moved = (value: unknown): Json =>
    JSON.parse(JSON.stringify(value).replaceAll('"#/$defs/', `"${SCHEMAS}`));
  for (const [name, definition] of Object.entries($defs ?? {})) components[name] = moved(definition);
  return moved(rest);
}

/** The problems an operation may answer: its own, and those its shape implies. */
export function problemsOf(method: string, path: string, op: OperationSpec): ProblemCode[] {
  const auth = op.auth ?? 'api-key';
  const codes = new Set<ProblemCode>(op.problems ?? []);
  if (auth === 'api-key') codes.add('missing-api-key').add('insufficient-scope');
  if (path.includes('{')) codes.add('invalid-path-parameter');
  if (op.query) codes.add('validation-failed');
  if (method === 'POST') {
    codes.add('malformed-json').add('validation-failed');
    if (!op.body && auth === 'api-key') codes.add('unexpected-body');
    if (auth === 'api-key') codes.add('concurrent-modification');
  }
  if (op.idempotencyKey) {
    codes.add('invalid-idempotency-key').add('idempotency-key-reused').add('idempotent-request-in-progress');
    if (op.idempotencyKey === 'required') codes.add('idempotency-key-required');
  }
  codes.add('internal');
  if (auth !== 'none') codes.add('throttled');
  return PROBLEM_CODES.filter((code) => codes.has(code));
}

/** What API Gateway answers itself, per status (a JSON `{message}`, not problem+json). */
const GATEWAY_ERRORS: Readonly<Record<number, { message: string; description: string; keyOnly?: true }>> = {
  401: {
    message: 'Unauthorized',
    description: 'No key, or an unknown, revoked or expired one (answered by API Gateway)',
    keyOnly: true,
  },
  403: {
    message: 'Forbidden',
    description: 'The tenant is suspended (answered by API Gateway)',
    keyOnly: true,
  },
  413: { message: 'Request Too Long', description: 'The body is over API Gateway’s 10 MB limit' },
  429: {
    message: 'Too Many Requests',
    description: 'Throttled: the tenant’s usage plan, the stage or the route’s own limit',
  },
  502: { message: 'Internal server error', description: 'The function failed (answered by API Gateway)' },
  504: { message: 'Endpoint request timed out', description: 'The function did not answer in time' },
};

const RETRY_AFTER = {
  description: 'Seconds to wait before retrying',
  schema: { type: 'string', pattern: '^[0-9]+$' },
};

/** The example problem document of a code, made by the same function the API answers with. */
function exampleProblem(code: ProblemCode): Json {
  const info = PROBLEMS[code];
  const extra = 'extra' in info ? info.extra : {};
  const { problem } = toProblem(new ApiError(info.status, code, info.detail, extra), '/accounts/acct_123');
  return { summary: info.detail, value: problem };
}

interface MediaType {
  readonly schema: Json;
  readonly examples?: Record<string, Json>;
  readonly example?: Json;
}
interface ResponseObject {
  readonly description: string;
  readonly headers?: Json;
  readonly content: Record<string, MediaType>;
}

/** The response of `status` in `responses`, added with `make` when it is not there yet. */
function responseFor(
  responses: Record<string, ResponseObject>,
  status: number,
  make: () => ResponseObject,
): ResponseObject {
  const existing = responses[status];
  if (existing) return existing;
  const made = make();
  responses[status] = made;
  return made;
}

function responsesOf(method: string, path: string, op: OperationSpec, schemas: Json): Json {
  const responses: Record<string, ResponseObject> = {
    [op.status]: {
      description: op.summary,
      content: {
        [op.responseMediaType ?? 'application/json']: { schema: jsonSchema(op.response, 'output', schemas) },
      },
      ...(op.idempotencyKey
        ? {
            headers: {
              'Idempotent-Replayed': {
                description: 'true when this is the stored answer to an earlier request with the same key',
                schema: { type: 'string', enum: ['true', 'false'] },
              },
            },
          }
        : {}),
    },
  };
  for (const code of problemsOf(method, path, op)) {
    const { status } = PROBLEMS[code];
    const entry = responseFor(responses, status, () => ({
      description: String(toProblem(new ApiError(status, code, '')).problem.title),
      content: {},
      ...(status === 409 || status === 503 ? { headers: { 'Retry-After': RETRY_AFTER } } : {}),
    }));
    const problems = entry.content['application/problem+json'];
    entry.content['application/problem+json'] = {
      schema: { $ref: `${SCHEMAS}Problem` },
      examples: { ...problems?.examples, [code]: { $ref: `#/components/examples/${code}` } },
    };
  }
  for (const [status, error] of Object.entries(GATEWAY_ERRORS)) {
    if (error.keyOnly && (op.auth ?? 'api-key') !== 'api-key') continue;
    const entry = responseFor(responses, Number(status), () => ({
      description: error.description,
      content: {},
    }));
    entry.content['application/json'] = {
      schema: { $ref: `${SCHEMAS}GatewayError` },
      example: { message: error.message },
    };
  }
  return responses;
}

const isJson = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function parametersOf(path: string, op: OperationSpec, schemas: Json): Json[] {
  const parameters: Json[] = [...path.matchAll(/\{([^}]+)\}/g)].map(([, name]) => ({
    name,
    in: 'path',
    required: true,
    schema: jsonSchema(idSchema, 'input', schemas),
  }));
  if (op.query) {
    const query = jsonSchema(op.query, 'input', schemas);
    const required = Array.isArray(query.required) ? query.required : [];
    const properties = isJson(query.properties) ? query.properties : {};
    for (const [name, schema] of Object.entries(properties)) {
      parameters.push({ name, in: 'query', required: required.includes(name), schema });
    }
  }
  if (op.idempotencyKey) {
    parameters.push({
      name: 'Idempotency-Key',
      in: 'header',
      required: op.idempotencyKey === 'required',
      description:
        'Identifies the request for 24 h: a retry with the same key and body replays the first answer',
      schema: { type: 'string', pattern: '^[\\x21-\\x7e]{1,255}$' },
    });
  }
  if (op.auth === 'webhook-signature') {
    parameters.push({
      name: 'x-processor-signature',
      in: 'header',
      required: true,
      description: '`t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">`',
      schema: { type: 'string' },
    });
  }
  return parameters;
}

/** The correlation id's request parameter and response header, referenced by every operation. */
const CORRELATION_COMPONENTS = {
  parameters: {
    CorrelationId: {
      name: CORRELATION_HEADER,
      in: 'header',
      required: false,
      description:
        'Carried into the events, logs, saga and messages this request causes; the request id when absent or not 1-128 letters, digits or `_.:-`',
      schema: { type: 'string', pattern: CORRELATION_PATTERN.source },
    },
  },
  headers: {
    CorrelationId: {
      description: 'The correlation id the request was worked under (the caller’s, or the request id)',
      schema: { type: 'string' },
    },
  },
} as const;

/**
 * The correlation id on an operation: the request header it may come in (every operation, public ones too),
 * and the response header on every answer the function gives (not on those API Gateway gives itself).
 */
function withCorrelationId(operation: Json): Json {
  const fromGateway = (type: string, media: unknown) =>
    type === 'application/json' &&
    isJson(media) &&
    isJson(media.schema) &&
    media.schema.$ref === `${SCHEMAS}GatewayError`;
  const responses = Object.fromEntries(
    Object.entries(isJson(operation.responses) ? operation.responses : {}).map(([status, response]) => {
      if (!isJson(response) || !isJson(response.content)) return [status, response];
      const media = Object.entries(response.content);
      if (media.every(([type, m]) => fromGateway(type, m))) return [status, response];
      const headers = { ...(isJson(response.headers) ? response.headers : {}) };
      headers[CORRELATION_HEADER] = { $ref: '#/components/headers/CorrelationId' };
      return [status, { ...response, headers }];
    }),
  );
  const parameters = Array.isArray(operation.parameters) ? operation.parameters : [];
  return {
    ...operation,
    parameters: [...parameters, { $ref: '#/components/parameters/CorrelationId' }],
    responses,
  };
}

const SECURITY: Readonly<Record<string, Json[]>> = {
  'api-key': [{ ApiKey: [] }, { Bearer: [] }],
  'webhook-signature': [],
  none: [],
};

/** The OpenAPI 3.1 document of every operation, generated from the zod schemas. */
export function buildOpenApiDocument(operations: Readonly<Record<string, OperationSpec>> = OPERATIONS): Json {
  const schemas: Json = {};
  jsonSchema(problemResponse, 'output', schemas);
  jsonSchema(gatewayErrorResponse, 'output', schemas);
  const paths: Record<string, Json> = {};
  for (const [key, op] of Object.entries(operations)) {
    const [method = '', path = ''] = key.split(' ');
    const item: Json = paths[path] ?? {};
    paths[path] = item;
    item[method.toLowerCase()] = withCorrelationId({
      operationId: op.operationId,
      summary: op.summary,
      tags: [op.tag],
      security: SECURITY[op.auth ?? 'api-key'],
      parameters: parametersOf(path, op, schemas),
      ...(op.body
        ? {
            requestBody: {
              required: true,
              content: { 'application/json': { schema: jsonSchema(op.body, 'input', schemas) } },
            },
          }
        : {}),
      responses: responsesOf(method, path, op, schemas),
    });
  }
  return {
    openapi: '3.1.1',
    info: {
      title: 'Ledgerline',
      version: '1',
      description:
        'Event-sourced payments ledger. Amounts are integers in the currency’s minor unit; every POST ' +
        'takes an Idempotency-Key (24 h); errors are RFC 9457 problem+json with a stable `type` ' +
        '(`urn:ledgerline:problem:<code>`); another tenant’s resource is a 404.',
    },
    // Relative to where this document is served: the stage's base URL.
    servers: [{ url: '.', description: 'The stage that serves this document' }],
    security: SECURITY['api-key'],
    tags: ['Accounts', 'Transfers', 'Reports', 'Webhooks', 'Payments', 'Contract'].map((name) => ({ name })),
    paths,
    components: {
      schemas,
      securitySchemes: {
        ApiKey: {
          type: 'apiKey',
          in: 'header',
          name: 'x-api-key',
          description: 'A tenant’s API key (scopes read, write, admin); the authorizer resolves its tenant',
        },
        Bearer: {
          type: 'http',
          scheme: 'bearer',
          description: 'The same API key as `Authorization: Bearer <key>`',
        },
      },
      ...CORRELATION_COMPONENTS,
      examples: Object.fromEntries(PROBLEM_CODES.map((code) => [code, exampleProblem(code)])),
    },
  };
}
