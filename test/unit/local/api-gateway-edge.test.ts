import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiGateway, MAX_BODY_BYTES, startApiGateway } from '../../../local/api-gateway.ts';
import type { LambdaPool } from '../../../local/lambda-pool.ts';
import { apiModelOf } from '../../support/api-model.ts';

let gateway: ApiGateway;

beforeAll(async () => {
  gateway = await startApiGateway({
    model: apiModelOf([
      {
        logicalId: 'Echo',
        resourceId: 'r1',
        path: '/echo',
        method: 'POST',
        apiKeyRequired: false,
        integration: { kind: 'mock', statusCode: 200, headers: {}, body: '{"ok":true}' },
      },
    ]),
    // A mock integration never reaches the pool.
    pool: {} as LambdaPool,
    region: 'us-east-1',
    port: 0,
  });
});
afterAll(async () => {
  await gateway?.stop();
});

/** Sends a POST with an explicit Host header and body, answering with the status and body text. */
function post(
  host: string,
  body: Buffer | string,
  chunked = false,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: gateway.port,
        path: '/echo',
        method: 'POST',
        headers: {
          host,
          'content-type': 'application/json',
          ...(chunked ? { 'transfer-encoding': 'chunked' } : { 'content-length': Buffer.byteLength(body) }),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
      },
    );
    req.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE' && error.code !== 'ECONNRESET') reject(error);
    });
    req.end(body);
  });
}

describe('the local gateway at its edge', () => {
  it('answers loopback names with any port', async () => {
    for (const host of ['localhost', `127.0.0.1:${gateway.port}`, `[::1]:${gateway.port}`, 'LOCALHOST:80']) {
      expect((await post(host, '{}')).status, host).toBe(200);
    }
  });

  it('refuses a Host that is not a loopback name, with a clear error (DNS rebinding)', async () => {
    for (const host of [
      'attacker.example',
      'localhost.attacker.example',
      '127.0.0.1.nip.io:3000',
      '10.0.0.1',
    ]) {
      const reply = await post(host, '{}');
      expect(reply.status, host).toBe(403);
      expect(JSON.parse(reply.body).message).toMatch(/not a loopback name/);
    }
  });

  it('refuses a body over 10 MB with 413, by Content-Length and when chunked', async () => {
    const big = Buffer.alloc(MAX_BODY_BYTES + 1, 0x20);
    expect((await post('localhost', big)).status).toBe(413);
    const chunked = await post('localhost', big, true);
    expect(chunked.status).toBe(413);
    expect(JSON.parse(chunked.body)).toEqual({ message: 'Request Too Long' });
    expect((await post('localhost', Buffer.alloc(MAX_BODY_BYTES, 0x20))).status).toBe(200);
  });
});
