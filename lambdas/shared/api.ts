import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy, { type MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import type { z } from 'zod';
import { type ConflictRetryOptions, retryOnConflict, withCache } from '../application/retry.ts';
import type { CommandContext } from '../application/unit-of-work.ts';
import { LedgerError } from '../domain/errors.ts';
import type { LedgerPorts } from '../domain/ports.ts';
import type { Scope } from '../domain/tenants.ts';
import { transferIdFor } from './command-ids.ts';
import { CORRELATION_HEADER, correlation, correlationIdOf, header } from './correlation.ts';
import { type IdempotencyStore, idempotentPerStore } from './idempotency.ts';
import { ApiError, json, problemResponse } from './problems.ts';
import { authorizedTenant } from './tenant-context.ts';
import { tracer } from './tracing.ts';

export const logger = new Logger();
export { CORRELATION_HEADER, correlationIdOf };

/** What a route's `run` gets: the tenant (from the authorizer, never the body), parsed input, and the event context. */
export interface RouteRequest<B> {
  readonly tenantId: string;
  readonly ctx: CommandContext;
  readonly body: B;
  readonly pathParameters: Readonly<Record<string, string>>;
  readonly query: Readonly<Record<string, string>>;
  /** The request path, the `instance` of any problem. */
  readonly path: string;
  /** The `Idempotency-Key` header, when the route received one. */
  readonly idempotencyKey?: string | undefined;
}

/** A request to a command route: a route request with the identity of what it creates. */
export interface CommandRequest<B> extends RouteRequest<B> {
  /**
   * The id of the transfer this request creates, fixed once per request (never per conflict retry):
   * derived from (tenant, route, Idempotency-Key) when a key is given (`transferIdFor`), else minted
   * on first call and the same on every later call. A retry after a crash between the ledger commit and
   * the idempotency record converges on it.
   */
  readonly transferId: () => string;
}

/** A request's transfer id: derived from its key, or minted lazily (routes that move no money mint none). */
function requestTransferId(
  ports: LedgerPorts,
  tenantId: string,
  route: string,
  key: string | undefined,
): () => string {
  if (key !== undefined) {
    const derived = transferIdFor(tenantId, route, key);
    return () => derived;
  }
  let minted: string | undefined;
  return () => {
    minted ??= ports.ids.next('tr');
    return minted;
  };
}

/** What every route gets from its composition root. */
export interface QueryDeps {
  readonly ports: LedgerPorts;
}

/** What a route that changes the ledger gets besides the ports. */
export interface CommandDeps extends QueryDeps {
  /** Conflict retries (reload, decide again). */
  readonly retry: ConflictRetryOptions;
  /** Where responses are stored for replay; only routes that replay need it. */
  readonly idempotency?: IdempotencyStore | undefined;
}

export interface RouteSpec<D, B, R, Q = RouteRequest<B>> {
  /** Validates the JSON body; routes without one accept no body or `{}`. */
  readonly body?: z.ZodType<B>;
  readonly run: (deps: D, request: Q) => Promise<R>;
  readonly status: 200 | 201 | 202;
  readonly present: (result: R) => unknown;
  /**
   * Whether an `Idempotency-Key` stores the response for replay. Off for a response that carries a
   * secret shown once (it would sit in the idempotency table in the clear); such a route must be
   * safe to run again instead.
   * @default true
   */
  readonly replayResponses?: boolean;
  /**
   * Refuse a request without an `Idempotency-Key` (400): for commands whose identity is the key
   * (a payment's id derives from it, so a retry after a crash converges).
   * @default false
   */
  readonly requireIdempotencyKey?: boolean;
  /**
   * The scope the caller's key needs (403 `insufficient-scope` without it).
   * @default 'read' for a query route, 'write' for a command route
   */
  readonly scope?: Scope;
}

export type ApiHandler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

/** A route's plain function: the event, its dependencies, and the Lambda context. */
export type ApiMain<D> = (
  event: APIGatewayProxyEvent,
  deps: D,
  context: Context,
) => Promise<APIGatewayProxyResult>;

/** The plain function for tests (they pass the dependencies), and the middy-wrapped Lambda handler. */
export interface Route<D> {
  readonly main: ApiMain<D>;
  readonly handler: ApiHandler;
}

const ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
const IDEMPOTENCY_KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;
/** Stripe keeps keys 24 hours; so do we. */
const IDEMPOTENCY_TTL_SECONDS = 24 * 60 * 60;

/** The tenant and scopes come from the authorizer (see `authorizedTenant`); ids from the request. */
function requestContextOf(
  event: APIGatewayProxyEvent,
  needed: Scope,
): { tenantId: string; ctx: CommandContext } {
  const tenantId = authorizedTenant(event, needed);
  const requestId = event.requestContext.requestId;
  return {
    tenantId,
    ctx: {
      tenantId,
      correlationId: correlationIdOf(event),
      causationId: requestId,
      actor: `api-key:${tenantId}`,
    },
  };
}

const INVALID_PATH_PARAMETER = (name: string) =>
  new ApiError(400, 'invalid-path-parameter', `'${name}' must be 1-64 letters, digits, '_' or '-'.`);

function pathParametersOf(event: APIGatewayProxyEvent): Record<string, string> {
  const params: Record<string, string> = {};
  for (const [name, value] of Object.entries(event.pathParameters ?? {})) {
    if (value === undefined || !ID_PATTERN.test(value)) throw INVALID_PATH_PARAMETER(name);
    params[name] = value;
  }
  return params;
}

/** The path parameter `name` (an id: 1-64 of `A-Z a-z 0-9 _ -`), else a 400 `invalid-path-parameter`. */
export function pathIdOf(event: APIGatewayProxyEvent, name = 'id'): string {
  const value = event.pathParameters?.[name];
  if (value === undefined || !ID_PATTERN.test(value)) throw INVALID_PATH_PARAMETER(name);
  return value;
}

/** Refuses an Idempotency-Key that is not 1-255 printable ASCII characters (400 `invalid-idempotency-key`). */
function checkedIdempotencyKey(key: string): string {
  if (!IDEMPOTENCY_KEY_PATTERN.test(key)) {
    throw new ApiError(
      400,
      'invalid-idempotency-key',
      'Idempotency-Key must be 1-255 printable ASCII characters.',
    );
  }
  return key;
}

/** The request's Idempotency-Key, required and checked: an id derives from it (a retry finds the same thing). */
export function idempotencyKeyOf(event: APIGatewayProxyEvent): string {
  const key = header(event, 'idempotency-key');
  if (key === undefined)
    throw new ApiError(400, 'idempotency-key-required', 'This endpoint needs an Idempotency-Key header.');
  return checkedIdempotencyKey(key);
}

function parseBody<B>(event: APIGatewayProxyEvent, schema: z.ZodType<B> | undefined): B {
  const raw =
    event.isBase64Encoded && event.body ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
  let parsed: unknown = {};
  if (raw && raw.trim() !== '') {
    try {
      parsed = JSON.parse(raw);
    } catch {
      throw new ApiError(400, 'malformed-json', 'The request body is not valid JSON.');
    }
  }
  if (!schema) {
    if (parsed && typeof parsed === 'object' && Object.keys(parsed).length === 0) return undefined as B;
    throw new ApiError(400, 'unexpected-body', 'This endpoint takes no request body.');
  }
  return validated(schema, parsed, 'The request body is invalid.');
}

/** Validates a route's query string; unknown or malformed parameters are a 400 problem. */
export function parseQuery<Q>(schema: z.ZodType<Q>, query: Readonly<Record<string, string>>): Q {
  return validated(schema, query, 'The query string is invalid.');
}

/** Parses with a schema; failures are a 400 `validation-failed` listing each issue's path and message. */
function validated<T>(schema: z.ZodType<T>, value: unknown, detail: string): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const errors = result.error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message }));
  throw new ApiError(400, 'validation-failed', detail, { errors });
}

/** The query string's parameters that have a value. */
export function queryOf(event: APIGatewayProxyEvent): Record<string, string> {
  const query: Record<string, string> = {};
  for (const [name, value] of Object.entries(event.queryStringParameters ?? {})) {
    if (value !== undefined) query[name] = value;
  }
  return query;
}

/** The response as cached by the idempotency layer: plain JSON data. */
interface StoredResponse {
  readonly statusCode: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

/** Maps every error to problem+json, logging only what is not a client error. */
const problemJson = (): MiddlewareObj<APIGatewayProxyEvent, APIGatewayProxyResult> => ({
  onError: async (request) => {
    const response = problemResponse(request.error, request.event.path);
    if (response.statusCode >= 500) logger.error('Request failed', { error: request.error });
    request.response = response;
  },
});

function wrap(main: ApiHandler): ApiHandler {
  return middy(main)
    .use(tracer ? [captureLambdaHandler(tracer)] : [])
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(correlation(logger))
    .use(problemJson()) as ApiHandler;
}

/** A route's Lambda handler: the middy stack around its plain function, with the route's dependencies. */
export function apiHandler<D>(main: ApiMain<D>, deps: () => D): ApiHandler {
  return wrap((event, context) => main(event, deps(), context));
}

/** A route outside the tenant API (no API key, e.g. a signed webhook): logger context and problem+json only. */
export function publicRoute(main: ApiHandler): { readonly handler: ApiHandler } {
  return { handler: wrap(main) };
}

/** A read-only route: no body, no idempotency; `deps` is its composition root. */
export function queryRoute<D extends QueryDeps, R>(
  deps: () => D,
  spec: Omit<RouteSpec<D, undefined, R>, 'body' | 'status'>,
): Route<D> {
  const main: ApiMain<D> = async (event, d) => {
    const { tenantId, ctx } = requestContextOf(event, spec.scope ?? 'read');
    const pathParameters = pathParametersOf(event);
    const request = {
      tenantId,
      ctx,
      body: undefined,
      pathParameters,
      query: queryOf(event),
      path: event.path,
    };
    return json(200, spec.present(await spec.run(d, request)));
  };
  return { main, handler: apiHandler(main, deps) };
}

interface IdempotentInput<B> {
  readonly tenantId: string;
  readonly route: string;
  readonly idempotencyKey: string;
  readonly pathParameters: Readonly<Record<string, string>>;
  readonly body: B | null;
  readonly request: CommandRequest<B>;
}

/**
 * A route that changes the ledger. Conflicts are retried (reload, decide again) a bounded number of
 * times. With an `Idempotency-Key` header the first response is stored for 24 h (Stripe semantics):
 * the same key and request replay it, the same key with another request is 422, and a request still
 * in flight is 409 with Retry-After. Rule violations are answers and are stored; conflicts and
 * unexpected errors are not, so a retry runs again.
 */
export function commandRoute<D extends CommandDeps, B, R>(
  deps: () => D,
  spec: RouteSpec<D, B, R, CommandRequest<B>>,
): Route<D> {
  let executions = 0;
  const execute = async (request: CommandRequest<B>, d: D): Promise<StoredResponse> => {
    executions++;
    try {
      const result = await retryOnConflict((cache) => spec.run(withCache(d, cache), request), d.retry);
      return json(spec.status, spec.present(result)) as StoredResponse;
    } catch (error) {
      if (error instanceof LedgerError) return problemResponse(error, request.path) as StoredResponse;
      throw error;
    }
  };
  const idempotent = idempotentPerStore(
    {
      // The key is scoped to the tenant and the route; the request must match to be replayed.
      eventKeyJmesPath: '[tenantId, route, idempotencyKey]',
      payloadValidationJmesPath: '[pathParameters, body]',
      expiresAfterSeconds: IDEMPOTENCY_TTL_SECONDS,
      throwOnNoIdempotencyKey: true,
    },
    (input: IdempotentInput<B>, d: D) => execute(input.request, d),
  );

  const main: ApiMain<D> = async (event, d, context) => {
    const { tenantId, ctx } = requestContextOf(event, spec.scope ?? 'write');
    const pathParameters = pathParametersOf(event);
    const body = parseBody(event, spec.body);
    // A required key is checked here, also on a route that does not replay (its id derives from the key).
    const key = spec.requireIdempotencyKey ? idempotencyKeyOf(event) : header(event, 'idempotency-key');
    const request: CommandRequest<B> = {
      tenantId,
      ctx,
      body,
      pathParameters,
      query: queryOf(event),
      path: event.path,
      idempotencyKey: key,
      transferId: requestTransferId(d.ports, tenantId, event.resource, key),
    };
    if (key === undefined || spec.replayResponses === false) return execute(request, d);
    checkedIdempotencyKey(key);
    const before = executions;
    const input = {
      tenantId,
      route: event.resource,
      idempotencyKey: key,
      pathParameters,
      body: body ?? null,
      request,
    };
    if (!d.idempotency)
      throw new Error(`${event.resource} replays responses: its deps need an idempotency store`);
    const { run, register } = idempotent(d.idempotency);
    // Lets an in-progress record expire with this invocation's timeout if the function dies mid-request.
    register(context);
    const response = await run(input, d);
    // Stripe's header: tells the client this answer is the stored one, not a new execution.
    const replayed = executions === before;
    return { ...response, headers: { ...response.headers, 'Idempotent-Replayed': String(replayed) } };
  };
  return { main, handler: apiHandler(main, deps) };
}
