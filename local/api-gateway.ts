import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { pipeline, Readable } from 'node:stream';
import { ApiKeyRegistry } from './api-keys.ts';
import type { ApiModel, AuthorizerSpec } from './api-model.ts';
import { apiReference } from './api-reference.ts';
import { matchRoute } from './api-routing.ts';
import { type GatewayResponse, gatewayError } from './gateway-responses.ts';
import { BodyTooLargeError, closeServer, isLoopbackHost, listen, readBody } from './http-server.ts';
import type { LambdaPool } from './lambda-pool.ts';
import { invokeWithResponseStream } from './lambda-response-stream.ts';
import { LOCAL_ACCOUNT_ID } from './naming.ts';
import { gatewayLimiter } from './throttle.ts';

/** API Gateway's limit on waiting for an integration. */
const INTEGRATION_TIMEOUT_MS = 29_000;

/** A running local API Gateway. */
export interface ApiGateway {
  readonly url: string;
  readonly port: number;
  stop(): Promise<void>;
}

export interface ApiGatewayOptions {
  readonly model: ApiModel;
  readonly pool: LambdaPool;
  readonly region: string;
  readonly port: number;
  readonly host?: string;
  readonly keys?: ApiKeyRegistry;
}

const FORBIDDEN = () => gatewayError(403, 'ForbiddenException', { message: 'Forbidden' });
const MISSING_TOKEN = () =>
  gatewayError(403, 'MissingAuthenticationTokenException', { message: 'Missing Authentication Token' });
const UNAUTHORIZED = () => gatewayError(401, 'UnauthorizedException', { message: 'Unauthorized' });
const INTERNAL = () =>
  gatewayError(502, 'InternalServerErrorException', { message: 'Internal server error' });
/** API Gateway's payload limit for a REST API request. */
export const MAX_BODY_BYTES = 10 * 1024 * 1024;
const TOO_LARGE = () => gatewayError(413, 'RequestTooLongException', { message: 'Request Too Long' });

/** `21/Nov/2026:16:08:00 +0000`, the `requestTime` format. */
function requestTime(date: Date): string {
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${pad(date.getUTCDate())}/${months[date.getUTCMonth()]}/${date.getUTCFullYear()}:${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} +0000`;
}

interface RequestParts {
  readonly method: string;
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly multiValueHeaders: Record<string, string[]>;
  readonly query: Record<string, string> | null;
  readonly multiValueQuery: Record<string, string[]> | null;
  readonly body: Buffer;
  readonly sourceIp: string;
}

function parseRequest(request: IncomingMessage, body: Buffer): RequestParts {
  const url = new URL(request.url ?? '/', 'http://localhost');
  const headers: Record<string, string> = {};
  const multiValueHeaders: Record<string, string[]> = {};
  for (const [name, values] of Object.entries(request.headersDistinct)) {
    if (!values) continue;
    multiValueHeaders[name] = values;
    headers[name] = values[values.length - 1] ?? '';
  }
  let query: Record<string, string> | null = null;
  let multiValueQuery: Record<string, string[]> | null = null;
  for (const [key, value] of url.searchParams) {
    query ??= {};
    multiValueQuery ??= {};
    query[key] = value;
    multiValueQuery[key] = [...(multiValueQuery[key] ?? []), value];
  }
  return {
    method: (request.method ?? 'GET').toUpperCase(),
    path: url.pathname,
    headers,
    multiValueHeaders,
    query,
    multiValueQuery,
    body,
    sourceIp: request.socket.remoteAddress?.replace(/^::ffff:/, '') ?? '127.0.0.1',
  };
}

/** Minimal IAM policy evaluation for authorizer output: an explicit Deny wins, else any matching Allow. */
function policyDecision(policy: unknown, methodArn: string): 'allow' | 'deny' | 'none' {
  const statements = ((policy as { Statement?: unknown } | undefined)?.Statement ?? []) as Record<
    string,
    unknown
  >[];
  const list = Array.isArray(statements) ? statements : [statements];
  const matches = (statement: Record<string, unknown>) => {
    const resources = [statement.Resource ?? []].flat() as string[];
    return resources.some((pattern) =>
      new RegExp(
        `^${pattern
          .replace(/[.+^${}()|[\]\\]/g, '\\$&')
          .replace(/\*/g, '.*')
          .replace(/\?/g, '.')}$`,
      ).test(methodArn),
    );
  };
  const relevant = list.filter((s) => {
    const actions = [s.Action ?? []].flat() as string[];
    return (
      actions.some((a) => a === '*' || a === 'execute-api:*' || a === 'execute-api:Invoke') && matches(s)
    );
  });
  if (relevant.some((s) => s.Effect === 'Deny')) return 'deny';
  return relevant.some((s) => s.Effect === 'Allow') ? 'allow' : 'none';
}

/** Starts the HTTP server that serves `model` the way API Gateway serves the deployed REST API. */
export async function startApiGateway(options: ApiGatewayOptions): Promise<ApiGateway> {
  const { model, pool, region } = options;
  const keys = options.keys ?? new ApiKeyRegistry(model);
  const limit = gatewayLimiter(model);
  const docs = apiReference(() => server);
  const authorizerCache = new Map<
    string,
    { expires: number; policy: unknown; principalId: unknown; context: unknown; usageKey?: string }
  >();

  async function authorize(
    authorizer: AuthorizerSpec,
    parts: RequestParts,
    event: Record<string, unknown>,
    methodArn: string,
  ): Promise<GatewayResponse | { context: Record<string, unknown>; usageKey?: string }> {
    const identityValues: string[] = [];
    for (const source of authorizer.identitySources) {
      const header = /^method\.request\.header\.(.+)$/i.exec(source)?.[1];
      const query = /^method\.request\.querystring\.(.+)$/i.exec(source)?.[1];
      const value = header ? parts.headers[header.toLowerCase()] : query ? parts.query?.[query] : undefined;
      if (!header && !query) return gatewayError(500, 'AuthorizerConfigurationException', { message: null });
      if (!value) return UNAUTHORIZED();
      identityValues.push(value);
    }
    if (
      authorizer.validationExpression &&
      !new RegExp(authorizer.validationExpression).test(identityValues[0] ?? '')
    ) {
      return UNAUTHORIZED();
    }
    const cacheKey = `${authorizer.id}\u0000${identityValues.join('\u0000')}`;
    let cached =
      authorizer.ttlSeconds > 0 && identityValues.length > 0 ? authorizerCache.get(cacheKey) : undefined;
    if (!cached || cached.expires < Date.now()) {
      const authorizerEvent =
        authorizer.type === 'TOKEN'
          ? { type: 'TOKEN', authorizationToken: identityValues[0], methodArn }
          : { type: 'REQUEST', methodArn, ...event };
      const result = await pool.invoke(authorizer.functionName, authorizerEvent);
      if (!result.ok) {
        if (result.error.errorMessage === 'Unauthorized') return UNAUTHORIZED();
        return gatewayError(500, 'AuthorizerFailureException', { message: null });
      }
      const output = (result.payload ?? {}) as Record<string, unknown>;
      cached = {
        expires: Date.now() + authorizer.ttlSeconds * 1000,
        policy: output.policyDocument,
        principalId: output.principalId,
        context: output.context ?? {},
        ...(typeof output.usageIdentifierKey === 'string' ? { usageKey: output.usageIdentifierKey } : {}),
      };
      if (authorizer.ttlSeconds > 0) authorizerCache.set(cacheKey, cached);
    }
    const decision = policyDecision(cached.policy, methodArn);
    if (decision === 'deny') {
      return gatewayError(403, 'AccessDeniedException', {
        Message: 'User is not authorized to access this resource with an explicit deny',
      });
    }
    if (decision === 'none') {
      return gatewayError(403, 'AccessDeniedException', {
        Message: 'User is not authorized to access this resource',
      });
    }
    return {
      context: {
        ...(cached.context as Record<string, unknown>),
        principalId: cached.principalId,
        integrationLatency: 0,
      },
      ...(cached.usageKey ? { usageKey: cached.usageKey } : {}),
    };
  }

  async function handle(request: IncomingMessage): Promise<GatewayResponse> {
    if (!isLoopbackHost(request.headers.host)) {
      return gatewayError(403, 'ForbiddenException', {
        message: `Host '${request.headers.host ?? ''}' is not a loopback name: the local gateway answers only localhost, 127.0.0.1 and [::1] (with any port)`,
      });
    }
    let body: Buffer;
    try {
      body = await readBody(request, MAX_BODY_BYTES);
    } catch (error) {
      if (!(error instanceof BodyTooLargeError)) throw error;
      const tooLarge = TOO_LARGE();
      return { ...tooLarge, headers: { ...tooLarge.headers, connection: 'close' } };
    }
    const parts = parseRequest(request, body);
    const match = matchRoute(model.routes, parts.method, parts.path);
    if (!match)
      return (
        keys.control(parts.method, parts.path, parts.body) ??
        (await docs(parts.method, parts.path)) ??
        MISSING_TOKEN()
      );
    const { route, pathParameters } = match;
    const now = new Date();
    const requestId = randomUUID();
    const methodArn = `arn:aws:execute-api:${region}:${LOCAL_ACCOUNT_ID}:${model.restApiId}/${model.stageName}/${parts.method}${parts.path}`;
    const requestContext: Record<string, unknown> = {
      accountId: LOCAL_ACCOUNT_ID,
      apiId: model.restApiId,
      stage: model.stageName,
      resourceId: route.resourceId,
      resourcePath: route.path,
      path: `/${model.stageName}${parts.path}`,
      httpMethod: parts.method,
      requestId,
      extendedRequestId: requestId,
      requestTime: requestTime(now),
      requestTimeEpoch: now.getTime(),
      protocol: `HTTP/${request.httpVersion}`,
      domainName: parts.headers.host ?? 'localhost',
      domainPrefix: (parts.headers.host ?? 'localhost').split('.')[0],
      identity: {
        apiKey: null,
        apiKeyId: null,
        sourceIp: parts.sourceIp,
        userAgent: parts.headers['user-agent'] ?? null,
        accessKey: null,
        accountId: null,
        caller: null,
        cognitoAuthenticationProvider: null,
        cognitoAuthenticationType: null,
        cognitoIdentityId: null,
        cognitoIdentityPoolId: null,
        principalOrgId: null,
        user: null,
        userArn: null,
      },
    };
    const text = parts.body.length > 0 ? parts.body.toString('utf8') : null;
    const event: Record<string, unknown> = {
      resource: route.path,
      path: parts.path,
      httpMethod: parts.method,
      headers: parts.headers,
      multiValueHeaders: parts.multiValueHeaders,
      queryStringParameters: parts.query,
      multiValueQueryStringParameters: parts.multiValueQuery,
      pathParameters,
      stageVariables: model.stageVariables,
      requestContext,
      body: text,
      isBase64Encoded: false,
    };

    // API Gateway runs the authorizer before it checks the API key (the key may even come from it).
    let usageKey = model.apiKeySource === 'HEADER' ? parts.headers['x-api-key'] : undefined;
    if (route.authorizer) {
      const outcome = await authorize(route.authorizer, parts, event, methodArn);
      if ('statusCode' in outcome) return outcome;
      requestContext.authorizer = outcome.context;
      if (model.apiKeySource === 'AUTHORIZER') usageKey = outcome.usageKey;
    }
    // Resolved once: the key check and the usage plan's meter use the same key.
    const key = route.apiKeyRequired ? keys.byValue(usageKey) : undefined;
    if (route.apiKeyRequired) {
      if (!key?.enabled || !key.validForStage) return FORBIDDEN();
      const identity = requestContext.identity as Record<string, unknown>;
      identity.apiKey = key.value;
      identity.apiKeyId = key.id;
    }
    const throttled = limit(route, key);
    if (throttled) return throttled;

    if (route.integration.kind === 'mock') {
      return {
        statusCode: route.integration.statusCode,
        headers: route.integration.headers,
        body: route.integration.body,
      };
    }
    const fn = route.integration.functionName;
    const result = await invokeWithResponseStream(pool, fn, event, INTEGRATION_TIMEOUT_MS);
    if (result === 'timeout')
      return gatewayError(504, 'InternalServerErrorException', { message: 'Endpoint request timed out' });
    if ('body' in result) return result;
    if (!result.ok) return INTERNAL();
    return proxyResponse(result.payload);
  }

  const server: Server = createServer((request: IncomingMessage, response: ServerResponse) => {
    handle(request)
      .catch((error: unknown) => {
        process.stderr.write(`local API Gateway: ${error instanceof Error ? error.stack : String(error)}\n`);
        return INTERNAL();
      })
      .then((reply) => {
        const headers: Record<string, string | string[]> = {
          'x-amzn-requestid': randomUUID(),
          ...reply.headers,
        };
        if (!Object.keys(headers).some((h) => h.toLowerCase() === 'content-type'))
          headers['content-type'] = 'application/json';
        response.writeHead(reply.statusCode, headers);
        if (reply.body instanceof Readable) pipeline(reply.body, response, () => {});
        else response.end(reply.body);
      });
  });
  server.keepAliveTimeout = 5000;

  const port = await listen(server, options.port, options.host ?? '127.0.0.1');
  return {
    url: `http://${options.host === '0.0.0.0' ? '127.0.0.1' : (options.host ?? '127.0.0.1')}:${port}`,
    port,
    stop: () => closeServer(server),
  };
}

/** Turns a Lambda proxy result into the HTTP response; a malformed result is a 502, as on AWS. */
export function proxyResponse(payload: unknown): GatewayResponse {
  if (typeof payload !== 'object' || payload === null) return INTERNAL();
  const result = payload as Record<string, unknown>;
  const statusCode = Number(result.statusCode);
  if (!Number.isInteger(statusCode) || statusCode < 100 || statusCode > 599) return INTERNAL();
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries((result.multiValueHeaders as Record<string, unknown[]>) ?? {})) {
    headers[name.toLowerCase()] = value.map(String);
  }
  for (const [name, value] of Object.entries((result.headers as Record<string, unknown>) ?? {})) {
    headers[name.toLowerCase()] = String(value);
  }
  if (result.body !== undefined && result.body !== null && typeof result.body !== 'string') return INTERNAL();
  const text = (result.body as string | null | undefined) ?? '';
  const body = result.isBase64Encoded === true ? Buffer.from(text, 'base64') : text;
  return { statusCode, headers, body };
}
