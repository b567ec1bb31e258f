import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import base from '../fixtures/api/rest-proxy-event.json' with { type: 'json' };

export interface RequestOptions {
  readonly tenant?: string | null;
  readonly body?: unknown;
  readonly rawBody?: string;
  readonly headers?: Record<string, string>;
  readonly pathParameters?: Record<string, string>;
  readonly query?: Record<string, string>;
  /** The key's scopes as the authorizer passes them. @default 'read,write,admin' */
  readonly scopes?: string;
}

/** A REST API (v1) proxy event as API Gateway sends it, with the tenant and scopes from the authorizer. */
export function apiEvent(
  method: string,
  resource: string,
  options: RequestOptions = {},
): APIGatewayProxyEvent {
  const path = resource.replace(/\{(\w+)\}/g, (_, name: string) => options.pathParameters?.[name] ?? '');
  const tenant = options.tenant === undefined ? 'tenant-a' : options.tenant;
  const event = structuredClone(base) as unknown as APIGatewayProxyEvent;
  return {
    ...event,
    resource,
    path,
    httpMethod: method,
    headers: { ...event.headers, ...options.headers },
    pathParameters: options.pathParameters ?? null,
    queryStringParameters: options.query ?? null,
    body: options.rawBody ?? (options.body === undefined ? null : JSON.stringify(options.body)),
    requestContext: {
      ...event.requestContext,
      resourcePath: resource,
      path: `/v1${path}`,
      httpMethod: method,
      requestId: randomUUID(),
      identity: { ...event.requestContext.identity, apiKeyId: tenant },
      authorizer:
        tenant === null
          ? null
          : { tenantId: tenant, keyId: 'key_test', scopes: options.scopes ?? 'read,write,admin' },
    },
  };
}

/** A Lambda context with a 10 s budget. */
export function lambdaContext(functionName = 'ledgerline-test'): Context {
  const deadline = Date.now() + 10_000;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:123456789012:function:${functionName}`,
    memoryLimitInMB: '512',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'test',
    getRemainingTimeInMillis: () => deadline - Date.now(),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/** The parsed JSON body of a response. */
export function bodyOf(
  response: APIGatewayProxyResult,
): Record<string, unknown> & { [key: string]: unknown } {
  return JSON.parse(response.body) as Record<string, unknown>;
}
