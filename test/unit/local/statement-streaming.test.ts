import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiGateway, startApiGateway } from '../../../local/api-gateway.ts';
import { type FunctionSpec, LambdaPool } from '../../../local/lambda-pool.ts';
import { invokeWithResponseStream } from '../../../local/lambda-response-stream.ts';
import { apiModelOf } from '../../support/api-model.ts';

// A streaming handler as a bundle would be: it waits for a file between its two chunks, so the test
// can see the first chunk arrive while the handler is still running (no timing involved).
const HANDLER = `
import { existsSync } from 'node:fs';
export const handler = awslambda.streamifyResponse(async (request, responseStream) => {
  const event = request.queryStringParameters ? JSON.parse(request.queryStringParameters.e) : request;
  const stream = awslambda.HttpResponseStream.from(responseStream, {
    statusCode: 201,
    headers: { 'Content-Type': 'text/csv', 'X-Rows': '2' },
  });
  stream.write('first\\n');
  while (!existsSync(event.gate)) await new Promise((resolve) => setTimeout(resolve, 5));
  if (event.fail) throw new Error('died mid-stream');
  for (let i = 0; i < event.more; i++) {
    if (!stream.write('x'.repeat(1024))) await new Promise((resolve) => stream.once('drain', resolve));
  }
  stream.end('second\\n');
});
`;
const PLAIN = `export const handler = async () => ({ statusCode: 200, body: 'plain' });`;

let dir: string;
let pool: LambdaPool;
let gateway: ApiGateway;

const spec = (name: string, file: string): FunctionSpec => ({
  logicalId: name,
  name,
  arn: `arn:aws:lambda:us-east-1:000000000000:function:${name}`,
  entryFile: join(dir, file),
  exportName: 'handler',
  handler: 'index.handler',
  timeoutSeconds: 20,
  memoryMb: 256,
  env: {},
});

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'streaming-'));
  writeFileSync(join(dir, 'streaming.mjs'), HANDLER);
  writeFileSync(join(dir, 'plain.mjs'), PLAIN);
  pool = new LambdaPool({ projectRoot: process.cwd(), onLog: () => {} });
  pool.register(spec('streaming', 'streaming.mjs'));
  pool.register(spec('plain', 'plain.mjs'));
  const route = (path: string, functionName: string) => ({
    logicalId: functionName,
    resourceId: functionName,
    path,
    method: 'GET',
    apiKeyRequired: false,
    integration: { kind: 'lambda' as const, functionName },
  });
  gateway = await startApiGateway({
    model: apiModelOf([route('/stream', 'streaming'), route('/plain', 'plain')]),
    pool,
    region: 'us-east-1',
    port: 0,
  });
});

afterAll(async () => {
  await gateway?.stop();
  await pool?.stop();
  rmSync(dir, { recursive: true, force: true });
});

let gates = 0;
const gate = () => join(dir, `gate-${++gates}`);

describe('a streaming handler (awslambda.streamifyResponse) in the local runtime', () => {
  it('hands over the head and the first chunk while the handler still runs, then the rest', async () => {
    const open = gate();
    const outcome = await invokeWithResponseStream(pool, 'streaming', { gate: open, more: 0 }, 10_000);
    if (outcome === 'timeout' || !('body' in outcome)) throw new Error('expected a streamed response');
    expect(outcome.statusCode).toBe(201);
    expect(outcome.headers).toEqual({ 'content-type': 'text/csv', 'x-rows': '2' });
    const chunks: string[] = [];
    const first = new Promise<void>((resolve) =>
      outcome.body.once('data', (chunk: Buffer) => {
        chunks.push(chunk.toString());
        resolve();
      }),
    );
    await first;
    expect(chunks).toEqual(['first\n']);
    expect(existsSync(open)).toBe(false);
    writeFileSync(open, '');
    for await (const chunk of outcome.body) chunks.push(String(chunk));
    expect(chunks.join('')).toBe('first\nsecond\n');
  });

  it('streams through the gateway with the handler’s status and headers, with backpressure', async () => {
    const open = gate();
    writeFileSync(open, '');
    const more = 4096; // 4 MiB, written one KiB at a time, each write waiting for its turn
    const { status, headers, body } = await get(`/stream`, { gate: open, more });
    expect(status).toBe(201);
    expect(headers['content-type']).toBe('text/csv');
    expect(body.length).toBe('first\n'.length + more * 1024 + 'second\n'.length);
    expect(body.endsWith('second\n')).toBe(true);
  });

  it('cuts the body short when the handler fails after it started to stream', async () => {
    const open = gate();
    writeFileSync(open, '');
    const outcome = await invokeWithResponseStream(pool, 'streaming', { gate: open, fail: true }, 10_000);
    if (outcome === 'timeout' || !('body' in outcome)) throw new Error('expected a streamed response');
    await expect(outcome.body.toArray()).rejects.toThrow(/died mid-stream/);
  });

  it('still answers a handler that does not stream with its proxy result', async () => {
    const { status, body } = await get('/plain', {});
    expect(status).toBe(200);
    expect(body).toBe('plain');
  });
});

/** GETs a gateway path; the event's fields ride in the query string's `e` (the handler reads `event`). */
function get(
  path: string,
  fields: Record<string, unknown>,
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${gateway.url}${path}?e=${encodeURIComponent(JSON.stringify(fields))}`,
      { method: 'GET' },
      (response) => {
        const parts: Buffer[] = [];
        response.on('data', (part: Buffer) => parts.push(part));
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            body: Buffer.concat(parts).toString(),
          }),
        );
        response.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end();
  });
}
