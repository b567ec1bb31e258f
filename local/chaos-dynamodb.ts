// The DynamoDB endpoint the functions get under chaos: a proxy in front of DynamoDB Local that throttles, delays,
// loses the responses of applied writes, and crashes or times out a function right after its first write.
// The runtime, its pollers and the test tooling keep DynamoDB Local's own endpoint.
import {
  Agent,
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { type Chaos, canonicalJson } from './chaos.ts';
import { LOCAL_CREDENTIALS } from './dynamodb.ts';
import { closeServer, listen, readBody } from './http-server.ts';
import { sleep } from './sleep.ts';

/** What the proxy needs from the Lambda pool to fault the invocation that made a write. */
export interface InvocationFaults {
  /** The name of the function environment `environmentId` runs. */
  functionOf(environmentId: string): string | undefined;
  /** Counts a write; whether it is the first write of the invocation `environmentId` runs. */
  firstWrite(environmentId: string): boolean;
  crash(environmentId: string, message: string): void;
  timeOut(environmentId: string): void;
}

export interface ChaosDynamoProxy {
  /** The endpoint for one Lambda environment (its path names the environment). */
  endpointFor(environmentId: string): string;
  stop(): Promise<void>;
}

const WRITES = new Set(['PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem', 'TransactWriteItems']);

type Json = Record<string, unknown>;
/** What names a Query or Scan: where it reads, never how much or which attributes. */
const READ_IDENTITY = [
  'TableName',
  'IndexName',
  'KeyConditionExpression',
  'ExpressionAttributeValues',
  'ExclusiveStartKey',
  'Segment',
] as const;
const obj = (value: unknown): Json =>
  value && typeof value === 'object' && !Array.isArray(value) ? { ...value } : {};
const list = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);

/** The operation's identity: its name, tables and item keys (or query keys), never the written values. */
export async function operationIdentity(
  op: string,
  body: Json,
  keyNames: (table: string) => Promise<readonly string[]>,
): Promise<string> {
  const keyOf = async (table: unknown, item: unknown) => {
    const names = await keyNames(String(table));
    const whole = obj(item);
    return canonicalJson(Object.fromEntries(names.map((n) => [n, whole[n]])));
  };
  const parts: string[] = [];
  const one = async (table: unknown, write: Json) =>
    parts.push(`${String(table)} ${write.Key ? canonicalJson(write.Key) : await keyOf(table, write.Item)}`);
  if (op === 'TransactWriteItems' || op === 'TransactGetItems') {
    for (const entry of list(body.TransactItems)) {
      for (const [kind, action] of Object.entries(obj(entry))) {
        const a = obj(action);
        parts.push(kind);
        await one(a.TableName, a);
      }
    }
  } else if (op === 'BatchWriteItem' || op === 'BatchGetItem') {
    for (const [table, requests] of Object.entries(obj(body.RequestItems))) {
      if (op === 'BatchGetItem') parts.push(`${table} ${canonicalJson(obj(requests).Keys)}`);
      else
        for (const r of list(requests))
          await one(table, { ...obj(obj(r).PutRequest), ...obj(obj(r).DeleteRequest) });
    }
  } else if (op === 'Query' || op === 'Scan') {
    parts.push(canonicalJson(Object.fromEntries(READ_IDENTITY.map((k) => [k, body[k]]))));
  } else if (body.Key || body.Item) {
    await one(body.TableName, body);
  } else {
    parts.push(String(body.TableName ?? ''));
  }
  return `${op} ${parts.join(' ')}`;
}

function awsError(response: ServerResponse, status: number, type: string, message: string): void {
  response.writeHead(status, { 'content-type': 'application/x-amz-json-1.0' });
  response.end(JSON.stringify({ __type: `com.amazonaws.dynamodb.v20120810#${type}`, message }));
}

/** Starts the proxy in front of `target` (DynamoDB Local's endpoint). */
export async function startChaosDynamoProxy(options: {
  readonly target: string;
  readonly region: string;
  readonly chaos: Chaos;
  /** The pool, once it exists (the proxy starts before it). */
  readonly invocations: () => InvocationFaults | undefined;
}): Promise<ChaosDynamoProxy> {
  const { chaos } = options;
  const target = new URL(options.target);
  const agent = new Agent({ keepAlive: true });
  const client = new DynamoDBClient({
    endpoint: options.target,
    region: options.region,
    credentials: LOCAL_CREDENTIALS,
  });
  const schemas = new Map<string, Promise<readonly string[]>>();
  const crashed = new Set<string>();
  const keyNames = (table: string) => {
    let names = schemas.get(table);
    if (!names) {
      names = client
        .send(new DescribeTableCommand({ TableName: table }))
        .then((d) => (d.Table?.KeySchema ?? []).map((k) => String(k.AttributeName)))
        .catch(() => []);
      schemas.set(table, names);
    }
    return names;
  };

  const forward = (request: IncomingMessage, body: Buffer) =>
    new Promise<{ status: number; headers: Record<string, string | string[]>; body: Buffer }>(
      (resolve, reject) => {
        const headers: Record<string, string | string[]> = {};
        for (const [k, v] of Object.entries(request.headers))
          if (v !== undefined && k !== 'host') headers[k] = v;
        const out = httpRequest(
          {
            host: target.hostname,
            port: target.port,
            path: '/',
            method: request.method ?? 'POST',
            headers,
            agent,
          },
          (reply) => {
            const chunks: Buffer[] = [];
            reply.on('data', (c: Buffer) => chunks.push(c));
            reply.on('end', () => {
              const h: Record<string, string | string[]> = {};
              for (const [k, v] of Object.entries(reply.headers)) if (v !== undefined) h[k] = v;
              resolve({ status: reply.statusCode ?? 500, headers: h, body: Buffer.concat(chunks) });
            });
            reply.on('error', reject);
          },
        );
        out.on('error', reject);
        out.end(body);
      },
    );

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const pass = (reply: Awaited<ReturnType<typeof forward>>) => {
      response.writeHead(reply.status, reply.headers);
      response.end(reply.body);
    };
    const body = await readBody(request);
    const op = String(request.headers['x-amz-target'] ?? '').split('.')[1] ?? '';
    const environmentId = /^\/e\/([^/]+)/.exec(request.url ?? '')?.[1];
    let parsed: Json = {};
    try {
      parsed = obj(JSON.parse(body.toString('utf8')));
    } catch {
      // Not JSON: forwarded as it is, DynamoDB Local answers it.
    }
    // A crashed environment's last calls (its SDK retrying the lost write) are not counted nor faulted: how
    // many arrive before its worker ends is a matter of timing.
    if (environmentId && crashed.has(environmentId)) return pass(await forward(request, body));
    const pool = options.invocations();
    const fn = environmentId ? pool?.functionOf(environmentId) : undefined;
    // The function is part of the identity (and the scope of its aliases): the same item written by two
    // functions is two operations.
    const scope = fn ?? 'runtime';
    const identity = chaos.identity(`${scope} ${await operationIdentity(op, parsed, keyNames)}`, scope);
    if (chaos.pick('dynamodb', identity, ['dynamodb.latency'])) await sleep(chaos.latencyMs);
    if (chaos.pick('dynamodb', identity, ['dynamodb.throttle'])) {
      return awsError(response, 400, 'ProvisionedThroughputExceededException', 'chaos: throughput exceeded');
    }
    const reply = await forward(request, body);
    const applied = WRITES.has(op) && reply.status === 200;
    const lost = applied && chaos.pick('dynamodb', identity, ['dynamodb.response-lost']);
    const first = applied && environmentId !== undefined && pool?.firstWrite(environmentId) === true;
    const lambdaFault = first
      ? chaos.pick('lambda', identity, ['lambda.crash', 'lambda.timeout'])
      : undefined;
    if (pool && environmentId && lambdaFault === 'lambda.crash') {
      crashed.add(environmentId);
      pool.crash(environmentId, `chaos: ${fn} crashed right after its first write`);
      response.destroy();
      return;
    }
    if (pool && environmentId && lambdaFault === 'lambda.timeout') pool.timeOut(environmentId);
    if (lost) {
      return awsError(
        response,
        500,
        'InternalServerError',
        'chaos: the write applied, its response was lost',
      );
    }
    pass(reply);
  }

  const server: Server = createServer((request, response) => {
    handle(request, response).catch(() => response.destroy());
  });
  const port = await listen(server, 0, '127.0.0.1');
  return {
    endpointFor: (environmentId) => `http://127.0.0.1:${port}/e/${environmentId}`,
    async stop() {
      await closeServer(server);
      agent.destroy();
      client.destroy();
    },
  };
}
