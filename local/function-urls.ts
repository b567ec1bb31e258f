import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Chaos } from './chaos.ts';
import { closeServer, listen, readBody } from './http-server.ts';
import type { InvokeResult } from './lambda-pool.ts';
import { sleep } from './sleep.ts';

/** A function URL as the template declares it (`AWS::Lambda::Url`). */
export interface FunctionUrlSpec {
  readonly logicalId: string;
  readonly functionName: string;
  readonly authType: 'NONE' | 'AWS_IAM';
}

/** Invokes a function by name (the pool's `invoke`). */
export type Invoke = (functionName: string, event: unknown) => Promise<InvokeResult>;

const TEXT_TYPES =
  /^(text\/|application\/(json|xml|x-www-form-urlencoded|[a-z.+-]*\+json|[a-z.+-]*\+xml|javascript))/i;

/** The Lambda Function URL event (payload format 2.0, as for an HTTP API), built from a request. */
export function functionUrlEvent(input: {
  readonly method: string;
  /** Path and query, e.g. `/v1/captures?x=1`. */
  readonly url: string;
  readonly headers: Readonly<Record<string, string | readonly string[] | undefined>>;
  readonly body: Buffer;
  readonly sourceIp: string;
  readonly urlId: string;
  readonly host: string;
  readonly now?: Date;
}): Record<string, unknown> {
  const now = input.now ?? new Date();
  const [rawPath = '/', rawQueryString = ''] = input.url.split(/\?(.*)/s, 2);
  const headers: Record<string, string> = {};
  let cookies: string[] | undefined;
  for (const [name, value] of Object.entries(input.headers)) {
    if (value === undefined) continue;
    const key = name.toLowerCase();
    if (key === 'cookie') {
      cookies = (Array.isArray(value) ? value.join('; ') : String(value)).split(/;\s*/).filter(Boolean);
      continue;
    }
    headers[key] = Array.isArray(value) ? value.join(',') : String(value);
  }
  const query: Record<string, string> = {};
  for (const [name, value] of new URLSearchParams(rawQueryString)) {
    query[name] = query[name] === undefined ? value : `${query[name]},${value}`;
  }
  const text = input.body.length === 0 || TEXT_TYPES.test(headers['content-type'] ?? '');
  const requestId = randomUUID();
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath,
    rawQueryString,
    ...(cookies ? { cookies } : {}),
    headers,
    ...(rawQueryString ? { queryStringParameters: query } : {}),
    requestContext: {
      accountId: 'anonymous',
      apiId: input.urlId,
      domainName: input.host,
      domainPrefix: input.urlId,
      http: {
        method: input.method,
        path: rawPath,
        protocol: 'HTTP/1.1',
        sourceIp: input.sourceIp,
        userAgent: headers['user-agent'] ?? '',
      },
      requestId,
      routeKey: '$default',
      stage: '$default',
      time: now.toISOString(),
      timeEpoch: now.getTime(),
    },
    ...(input.body.length > 0
      ? { body: text ? input.body.toString('utf8') : input.body.toString('base64') }
      : {}),
    isBase64Encoded: !text,
  };
}

/** What a Function URL answers for a function's result (payload 2.0 response rules). */
export function functionUrlResponse(result: InvokeResult): {
  status: number;
  headers: Record<string, string | string[]>;
  body: Buffer;
} {
  if (!result.ok) {
    return {
      status: 502,
      headers: { 'content-type': 'application/json' },
      body: Buffer.from(JSON.stringify({ Message: 'Internal Server Error' })),
    };
  }
  const payload = result.payload as Record<string, unknown> | string | null;
  // A result without statusCode is the body itself (JSON), served as 200.
  if (payload === null || typeof payload !== 'object' || !('statusCode' in payload)) {
    return {
      status: 200,
      headers: { 'content-type': 'application/json' },
      body: Buffer.from(typeof payload === 'string' ? payload : JSON.stringify(payload)),
    };
  }
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries((payload.headers as Record<string, unknown>) ?? {})) {
    headers[name.toLowerCase()] = String(value);
  }
  if (Array.isArray(payload.cookies) && payload.cookies.length > 0) {
    headers['set-cookie'] = payload.cookies.map(String);
  }
  const raw = payload.body === undefined || payload.body === null ? '' : String(payload.body);
  return {
    status: Number(payload.statusCode),
    headers,
    body: payload.isBase64Encoded === true ? Buffer.from(raw, 'base64') : Buffer.from(raw),
  };
}

/** Serves each `AWS::Lambda::Url` on its own 127.0.0.1 port, invoking the target function with a 2.0 event. */
export class FunctionUrls {
  readonly #invoke: Invoke;
  readonly #servers: Server[] = [];
  readonly #chaos: Chaos | undefined;
  /** Capture keys the processor has seen: a decline is injected only where the processor has not decided yet. */
  readonly #captureKeys = new Set<string>();

  /** `chaos`: faults of the processor boundary (the sandbox processor is the stack's Function URL). */
  constructor(invoke: Invoke, chaos?: Chaos) {
    this.#invoke = invoke;
    this.#chaos = chaos?.active('processor') ? chaos : undefined;
  }

  /**
   * The processor's faults: a 5xx before it acts; a decline it records as one (the capture is asked with the
   * declined test card, so a replay declines too); a timeout after it acted (the connection drops, no answer);
   * a late capture (it acted, the answer comes late). Identity: path and Idempotency-Key.
   */
  #fault(request: IncomingMessage, payload: Buffer) {
    const key = request.headers['idempotency-key'];
    if (!this.#chaos || request.method !== 'POST' || typeof key !== 'string') return { payload };
    const path = (request.url ?? '/').split('?')[0] ?? '/';
    const identity = this.#chaos.identity(`${path} ${key}`);
    const capture = path === '/v1/captures';
    const first = capture && !this.#captureKeys.has(identity);
    const kind = this.#chaos.pick(
      'processor',
      identity,
      first
        ? ['processor.5xx', 'processor.decline', 'processor.timeout', 'processor.late-capture']
        : capture
          ? ['processor.5xx', 'processor.timeout', 'processor.late-capture']
          : ['processor.5xx', 'processor.timeout'],
    );
    if (kind !== 'processor.5xx') this.#captureKeys.add(identity);
    if (kind !== 'processor.decline') return { payload, kind };
    try {
      const body: unknown = JSON.parse(payload.toString('utf8'));
      const declined = {
        ...(body && typeof body === 'object' ? body : {}),
        paymentMethod: 'pm_card_declined',
      };
      return { payload: Buffer.from(JSON.stringify(declined)), kind };
    } catch {
      return { payload, kind };
    }
  }

  /** Starts serving `spec` on a free port; returns its URL (`http://127.0.0.1:<port>/`, like AWS's trailing slash). */
  async add(spec: FunctionUrlSpec): Promise<string> {
    if (spec.authType !== 'NONE') {
      throw new Error(
        `${spec.logicalId}: AuthType ${spec.authType} is not emulated locally (no IAM); use NONE`,
      );
    }
    const urlId = spec.logicalId.toLowerCase().slice(0, 32);
    const server = createServer((request: IncomingMessage, response: ServerResponse) => {
      readBody(request).then(
        (raw) => {
          const { payload, kind } = this.#fault(request, raw);
          if (kind === 'processor.5xx') {
            response.writeHead(503, { 'content-type': 'application/json' });
            response.end(JSON.stringify({ error: 'chaos: processor unavailable' }));
            return;
          }
          const event = functionUrlEvent({
            method: request.method ?? 'GET',
            url: request.url ?? '/',
            headers: request.headers,
            body: payload,
            sourceIp: request.socket.remoteAddress ?? '127.0.0.1',
            urlId,
            host: request.headers.host ?? '127.0.0.1',
          });
          this.#invoke(spec.functionName, event)
            .catch(
              (error: unknown): InvokeResult => ({
                ok: false,
                error: { errorType: 'Runtime.Error', errorMessage: String(error), trace: [] },
              }),
            )
            .then(async (result) => {
              if (kind === 'processor.timeout') {
                response.destroy();
                return;
              }
              if (kind === 'processor.late-capture') await sleep((this.#chaos?.latencyMs ?? 200) * 5);
              const { status, headers, body } = functionUrlResponse(result);
              response.writeHead(status, { ...headers, 'x-amzn-requestid': randomUUID() });
              response.end(body);
            });
        },
        () => response.destroy(),
      );
    });
    this.#servers.push(server);
    const port = await listen(server, 0, '127.0.0.1');
    return `http://127.0.0.1:${port}/`;
  }

  async stop(): Promise<void> {
    await Promise.all(this.#servers.splice(0).map(closeServer));
  }
}
