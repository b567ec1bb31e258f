import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { CircuitBreaker } from '../../../lambdas/adapters/circuit-breaker.ts';
import { HttpPaymentProcessor } from '../../../lambdas/adapters/http-payment-processor.ts';
import {
  PaymentDeclinedError,
  ProcessorUnavailableError,
} from '../../../lambdas/domain/payments/processor.ts';
import { secretMatches } from '../../../lambdas/handlers/sandbox/processor.ts';

interface Seen {
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly body: unknown;
}

/** A fetch double answering from a script of statuses (or 'hang' to never answer before the abort). */
function scriptedFetch(script: (number | 'hang')[], body: object = { id: 'ch_1' }) {
  const seen: Seen[] = [];
  const fetch = (async (url: string, init: RequestInit) => {
    seen.push({
      url,
      headers: init.headers as Record<string, string>,
      body: JSON.parse(String(init.body)),
    });
    const next = script.shift() ?? 200;
    if (next === 'hang') {
      return new Promise((_, reject) =>
        init.signal?.addEventListener('abort', () => reject(init.signal?.reason)),
      );
    }
    return new Response(JSON.stringify(next === 402 ? { declineCode: 'card_declined' } : body), {
      status: next,
    });
  }) as unknown as typeof globalThis.fetch;
  return { fetch, seen };
}

const capture = {
  paymentId: 'pay_1',
  tenantId: 't',
  amount: 1000,
  currency: 'USD',
  paymentMethod: 'pm_card_visa',
  idempotencyKey: 'pay_1.capture',
};

function processor(
  fetch: typeof globalThis.fetch,
  options: { breaker?: CircuitBreaker; delays?: number[]; maxAttempts?: number; timeoutMs?: number } = {},
) {
  const delays = options.delays ?? [];
  return new HttpPaymentProcessor({
    baseUrl: 'http://processor.test/',
    secret: async () => 'the-secret',
    timeoutMs: options.timeoutMs ?? 200,
    maxAttempts: options.maxAttempts ?? 3,
    backoff: { base: 100, cap: 1000 },
    breaker: options.breaker ?? new CircuitBreaker({ name: 'p', failureThreshold: 100, coolDownMs: 1000 }),
    fetch,
    sleep: async (ms) => {
      delays.push(ms);
    },
    random: () => 0.5,
  });
}

describe('the HTTP payment processor', () => {
  it('sends the processor idempotency key and the bearer secret on every call', async () => {
    const { fetch, seen } = scriptedFetch([503, 200]);
    const result = await processor(fetch).capture(capture);
    expect(result).toEqual({ processorPaymentId: 'ch_1' });
    expect(seen).toHaveLength(2);
    for (const call of seen) {
      expect(call.url).toBe('http://processor.test/v1/captures');
      expect(call.headers['idempotency-key']).toBe('pay_1.capture');
      expect(call.headers.authorization).toBe('Bearer the-secret');
    }
  });

  it('retries 5xx with full-jitter backoff, then gives up as ProcessorUnavailableError', async () => {
    const delays: number[] = [];
    const { fetch, seen } = scriptedFetch([503, 500, 502]);
    await expect(processor(fetch, { delays }).capture(capture)).rejects.toBeInstanceOf(
      ProcessorUnavailableError,
    );
    expect(seen).toHaveLength(3);
    // random() = 0.5 of min(cap, base × 2^(n-1)): 50 then 100.
    expect(delays).toEqual([50, 100]);
  });

  it('aborts a request that does not answer within the timeout, and retries it', async () => {
    const { fetch, seen } = scriptedFetch(['hang', 200]);
    const started = Date.now();
    await expect(processor(fetch, { timeoutMs: 100 }).capture(capture)).resolves.toEqual({
      processorPaymentId: 'ch_1',
    });
    expect(seen).toHaveLength(2);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('maps a 402 to PaymentDeclinedError without retrying or counting it as an outage', async () => {
    const breaker = new CircuitBreaker({ name: 'p', failureThreshold: 1, coolDownMs: 60_000 });
    const { fetch, seen } = scriptedFetch([402]);
    const error = await processor(fetch, { breaker })
      .capture(capture)
      .catch((e) => e);
    expect(error).toBeInstanceOf(PaymentDeclinedError);
    expect(error.declineCode).toBe('card_declined');
    expect(seen).toHaveLength(1);
    expect(breaker.state).toBe('closed');
  });

  it('opens the circuit after repeated outages and stops calling, then half-opens after the cool-down', async () => {
    let now = 0;
    const breaker = new CircuitBreaker({ name: 'p', failureThreshold: 3, coolDownMs: 1000, now: () => now });
    const { fetch, seen } = scriptedFetch([503, 503, 503, 200]);
    const client = processor(fetch, { breaker, maxAttempts: 3 });
    await expect(client.capture(capture)).rejects.toBeInstanceOf(ProcessorUnavailableError);
    expect(breaker.state).toBe('open');
    await expect(client.capture(capture)).rejects.toThrow(/not calling it/);
    expect(seen).toHaveLength(3);
    now += 1000;
    expect(breaker.state).toBe('half-open');
    await expect(client.capture(capture)).resolves.toEqual({ processorPaymentId: 'ch_1' });
    expect(breaker.state).toBe('closed');
  });

  it('reads a refund of a capture the processor never made as nothing-to-refund', async () => {
    const { fetch, seen } = scriptedFetch([200], { status: 'nothing-to-refund' });
    const result = await processor(fetch).refund({
      paymentId: 'pay_1',
      tenantId: 't',
      amount: 1000,
      currency: 'USD',
      processorPaymentId: null,
      captureIdempotencyKey: 'pay_1.capture',
      idempotencyKey: 'pay_1.capture-refund',
    });
    expect(result).toEqual({ processorRefundId: null, outcome: 'nothing-to-refund' });
    expect(seen[0]?.body).toMatchObject({ capture: null, captureIdempotencyKey: 'pay_1.capture' });
  });
});

describe('the sandbox secret check', () => {
  it('compares in constant time whatever the lengths', () => {
    expect(secretMatches('abc', 'abc')).toBe(true);
    expect(secretMatches('abd', 'abc')).toBe(false);
    expect(secretMatches('', 'abc')).toBe(false);
    expect(secretMatches('abcd', 'abc')).toBe(false);
  });
});

describe('against a real HTTP server', () => {
  let server: Server | undefined;
  afterEach(() => server?.close());

  it('times out a processor that never answers', async () => {
    server = createServer(() => {});
    await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    const client = new HttpPaymentProcessor({
      baseUrl: `http://127.0.0.1:${port}`,
      secret: async () => 's',
      timeoutMs: 150,
      maxAttempts: 2,
      breaker: new CircuitBreaker({ name: 'p', failureThreshold: 5, coolDownMs: 1000 }),
      sleep: async () => {},
    });
    const error = await client.capture(capture).catch((e) => e);
    expect(error).toBeInstanceOf(ProcessorUnavailableError);
    expect(error.message).toMatch(/timed out after 150 ms/);
    server.closeAllConnections();
  });
});
