import { afterEach, describe, expect, it } from 'vitest';
import { FunctionUrls, functionUrlEvent, functionUrlResponse } from '../../../local/function-urls.ts';
import type { InvokeResult } from '../../../local/lambda-pool.ts';

describe('the Function URL event (payload 2.0)', () => {
  it('carries method, raw path and query, lowercase headers, cookies and a text body', () => {
    const event = functionUrlEvent({
      method: 'POST',
      url: '/v1/captures?a=1&a=2&b=x',
      headers: { 'Content-Type': 'application/json', Cookie: 'c1=v1; c2=v2', 'X-Multi': ['a', 'b'] },
      body: Buffer.from('{"amount":1}'),
      sourceIp: '127.0.0.1',
      urlId: 'abc',
      host: '127.0.0.1:9999',
      now: new Date('2026-01-01T00:00:00Z'),
    });
    expect(event).toMatchObject({
      version: '2.0',
      routeKey: '$default',
      rawPath: '/v1/captures',
      rawQueryString: 'a=1&a=2&b=x',
      cookies: ['c1=v1', 'c2=v2'],
      headers: { 'content-type': 'application/json', 'x-multi': 'a,b' },
      queryStringParameters: { a: '1,2', b: 'x' },
      requestContext: { http: { method: 'POST', path: '/v1/captures' }, timeEpoch: 1767225600000 },
      body: '{"amount":1}',
      isBase64Encoded: false,
    });
  });

  it('base64-encodes a binary body', () => {
    const event = functionUrlEvent({
      method: 'PUT',
      url: '/',
      headers: { 'content-type': 'application/octet-stream' },
      body: Buffer.from([0, 1, 2]),
      sourceIp: '127.0.0.1',
      urlId: 'abc',
      host: 'h',
    });
    expect(event).toMatchObject({ body: 'AAEC', isBase64Encoded: true });
  });
});

describe('the Function URL response', () => {
  it('serves a result with statusCode as given, and any other result as a 200 JSON body', () => {
    const full = functionUrlResponse({
      ok: true,
      payload: { statusCode: 402, headers: { 'Content-Type': 'application/json' }, body: '{"x":1}' },
    });
    expect(full.status).toBe(402);
    expect(full.headers['content-type']).toBe('application/json');
    expect(full.body.toString()).toBe('{"x":1}');
    const bare = functionUrlResponse({ ok: true, payload: { hello: 'world' } });
    expect(bare.status).toBe(200);
    expect(JSON.parse(bare.body.toString())).toEqual({ hello: 'world' });
  });

  it('answers 502 for a function error', () => {
    const failed = functionUrlResponse({
      ok: false,
      error: { errorType: 'Error', errorMessage: 'boom', trace: [] },
    });
    expect(failed.status).toBe(502);
  });
});

describe('FunctionUrls', () => {
  let urls: FunctionUrls | undefined;
  afterEach(async () => {
    await urls?.stop();
  });

  it('serves a function on 127.0.0.1 with a trailing-slash URL and round-trips a request', async () => {
    const seen: unknown[] = [];
    urls = new FunctionUrls(async (name, event): Promise<InvokeResult> => {
      seen.push({ name, event });
      return { ok: true, payload: { statusCode: 201, headers: { 'x-fn': name }, body: 'created' } };
    });
    const url = await urls.add({ logicalId: 'SandboxUrl', functionName: 'sandbox', authType: 'NONE' });
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const response = await fetch(`${url}v1/refunds?x=1`, {
      method: 'POST',
      headers: { authorization: 'Bearer s', 'content-type': 'application/json' },
      body: '{"amount":5}',
    });
    expect(response.status).toBe(201);
    expect(response.headers.get('x-fn')).toBe('sandbox');
    expect(await response.text()).toBe('created');
    expect(seen[0]).toMatchObject({
      name: 'sandbox',
      event: { rawPath: '/v1/refunds', headers: { authorization: 'Bearer s' }, body: '{"amount":5}' },
    });
  });

  it('refuses AWS_IAM auth, which it cannot emulate', async () => {
    urls = new FunctionUrls(async () => ({ ok: true, payload: null }));
    await expect(urls.add({ logicalId: 'U', functionName: 'f', authType: 'AWS_IAM' })).rejects.toThrow(
      /AWS_IAM/,
    );
  });
});
