import { createServer, type IncomingMessage, type Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { Chaos, parseChaos } from '../../../local/chaos.ts';
import { type ChaosDynamoProxy, startChaosDynamoProxy } from '../../../local/chaos-dynamodb.ts';
import { FunctionUrls } from '../../../local/function-urls.ts';
import { closeServer, listen, readBody } from '../../../local/http-server.ts';
import type { InvokeResult } from '../../../local/lambda-pool.ts';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const stop of cleanup.splice(0).reverse()) await stop();
});

/** A stand-in for DynamoDB Local: records each call's target header and answers `{}`. */
async function fakeDynamo(): Promise<{ endpoint: string; calls: string[] }> {
  const calls: string[] = [];
  const server: Server = createServer((request: IncomingMessage, response) => {
    void readBody(request).then(() => {
      calls.push(String(request.headers['x-amz-target']).split('.')[1] ?? '');
      response.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' });
      response.end('{}');
    });
  });
  const port = await listen(server, 0, '127.0.0.1');
  cleanup.push(() => closeServer(server));
  return { endpoint: `http://127.0.0.1:${port}`, calls };
}

describe('the DynamoDB chaos proxy', () => {
  const faults: string[] = [];
  let writes = 0;
  const invocations = {
    functionOf: (env: string) => `fn-of-${env}`,
    firstWrite: () => writes++ === 0,
    crash: (env: string) => faults.push(`crash ${env}`),
    timeOut: (env: string) => faults.push(`timeout ${env}`),
  };

  async function proxy(spec: string): Promise<{ proxy: ChaosDynamoProxy; calls: string[]; chaos: Chaos }> {
    const target = await fakeDynamo();
    const chaos = new Chaos(parseChaos(spec));
    const p = await startChaosDynamoProxy({
      target: target.endpoint,
      region: 'us-east-1',
      chaos,
      invocations: () => invocations,
    });
    cleanup.push(() => p.stop());
    faults.length = 0;
    writes = 0;
    return { proxy: p, calls: target.calls, chaos };
  }

  const call = (endpoint: string, op: string, body: unknown) =>
    fetch(endpoint, {
      method: 'POST',
      headers: { 'x-amz-target': `DynamoDB_20120810.${op}`, 'content-type': 'application/x-amz-json-1.0' },
      body: JSON.stringify(body),
    });
  const put = { TableName: 'events', Item: { pk: { S: 'a' }, v: { S: 'x' } } };

  it('throttles without reaching the table', async () => {
    const { proxy: p, calls, chaos } = await proxy('seed=1,dynamodb.throttle=1');
    const reply = await call(p.endpointFor('env1'), 'PutItem', put);
    expect(reply.status).toBe(400);
    expect(await reply.json()).toMatchObject({
      __type: expect.stringContaining('ProvisionedThroughputExceededException'),
    });
    expect(calls.filter((c) => c === 'PutItem')).toEqual([]);
    expect(chaos.counts()).toEqual({ 'dynamodb.throttle': 1 });
  });

  it('applies a write and loses its response; reads are answered', async () => {
    const { proxy: p, calls, chaos } = await proxy('seed=1,dynamodb.response-lost=1');
    expect((await call(p.endpointFor('env1'), 'PutItem', put)).status).toBe(500);
    expect(calls).toContain('PutItem');
    expect(
      (await call(p.endpointFor('env1'), 'GetItem', { TableName: 'events', Key: { pk: { S: 'a' } } })).status,
    ).toBe(200);
    expect(chaos.log()).toEqual([
      {
        boundary: 'dynamodb',
        kind: 'response-lost',
        identity: expect.stringMatching(/^fn-of-env1 PutItem events .*#1$/),
      },
    ]);
  });

  it('crashes the invocation after its first write only, and times one out', async () => {
    const crash = await proxy('seed=1,lambda.crash=1');
    await expect(call(crash.proxy.endpointFor('env7'), 'PutItem', put)).rejects.toThrow();
    expect(crash.calls).toContain('PutItem');
    expect((await call(crash.proxy.endpointFor('env7'), 'PutItem', put)).status).toBe(200);
    expect(faults).toEqual(['crash env7']);
    expect(crash.chaos.log()[0]).toMatchObject({
      boundary: 'lambda',
      kind: 'crash',
      identity: expect.stringMatching(/^fn-of-env7 PutItem/),
    });

    const timeout = await proxy('seed=1,lambda.timeout=1');
    expect((await call(timeout.proxy.endpointFor('env8'), 'PutItem', put)).status).toBe(200);
    expect(faults).toEqual(['timeout env8']);
  });
});

describe('the processor boundary (Function URLs)', () => {
  async function serve(spec: string) {
    const events: Record<string, unknown>[] = [];
    const invoke = async (_name: string, event: unknown): Promise<InvokeResult> => {
      events.push(event && typeof event === 'object' ? { ...event } : {});
      return { ok: true, payload: { statusCode: 200, body: '{"ok":true}' } };
    };
    const urls = new FunctionUrls(invoke, new Chaos(parseChaos(spec)));
    cleanup.push(() => urls.stop());
    const url = await urls.add({ logicalId: 'Sandbox', functionName: 'sandbox', authType: 'NONE' });
    const capture = (key: string) =>
      fetch(`${url}v1/captures`, {
        method: 'POST',
        headers: { 'idempotency-key': key, 'content-type': 'application/json' },
        body: JSON.stringify({ amount: 100, paymentMethod: 'pm_card_visa' }),
      });
    return { events, capture };
  }

  it('answers 503 before the processor acts', async () => {
    const { events, capture } = await serve('seed=1,processor.5xx=1');
    expect((await capture('k1')).status).toBe(503);
    expect(events).toEqual([]);
  });

  it('declines a capture the processor has not decided yet, with the declined card, and never a decided one', async () => {
    const { events, capture } = await serve('seed=1,processor.decline=1');
    await capture('k1');
    await capture('k1');
    expect(events.map((e) => JSON.parse(String(e.body)).paymentMethod)).toEqual([
      'pm_card_declined',
      'pm_card_visa',
    ]);
  });

  it('drops the connection after the processor acted', async () => {
    const { events, capture } = await serve('seed=1,processor.timeout=1');
    await expect(capture('k1')).rejects.toThrow();
    expect(events).toHaveLength(1);
  });
});
