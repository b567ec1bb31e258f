import { describe, expect, it } from 'vitest';
import { fullJitterDelay } from '../../../lambdas/adapters/backoff.ts';
import { CircuitBreaker, CircuitOpenError } from '../../../lambdas/adapters/circuit-breaker.ts';

describe('full-jitter backoff', () => {
  it('draws from [0, min(cap, base × 2^(n-1)))', () => {
    const limits = { base: 100, cap: 1000 };
    expect(fullJitterDelay(1, limits, () => 0.999)).toBe(99);
    expect(fullJitterDelay(3, limits, () => 0.5)).toBe(200);
    expect(fullJitterDelay(10, limits, () => 0.999)).toBe(999);
    expect(fullJitterDelay(4, limits, () => 0)).toBe(0);
  });
});

describe('circuit breaker', () => {
  const fail = () => Promise.reject(new Error('503'));
  const ok = () => Promise.resolve('ok');

  function breaker() {
    let now = 0;
    const b = new CircuitBreaker({
      name: 'processor',
      failureThreshold: 3,
      coolDownMs: 1000,
      now: () => now,
    });
    return { b, advance: (ms: number) => (now += ms) };
  }

  it('opens after the threshold of consecutive failures and then fails fast without calling', async () => {
    const { b } = breaker();
    for (let i = 0; i < 3; i++) await expect(b.call(fail)).rejects.toThrow('503');
    let called = false;
    await expect(
      b.call(async () => {
        called = true;
      }),
    ).rejects.toThrow(CircuitOpenError);
    expect(called).toBe(false);
  });

  it('does not count errors that are answers (e.g. a decline)', async () => {
    const { b } = breaker();
    const decline = () => Promise.reject(new Error('declined'));
    for (let i = 0; i < 5; i++) await expect(b.call(decline, () => false)).rejects.toThrow('declined');
    expect(b.state).toBe('closed');
  });

  it('a success resets the count of consecutive failures', async () => {
    const { b } = breaker();
    await expect(b.call(fail)).rejects.toThrow();
    await expect(b.call(fail)).rejects.toThrow();
    await b.call(ok);
    await expect(b.call(fail)).rejects.toThrow();
    expect(b.state).toBe('closed');
  });

  it('half-opens after the cool-down: one trial closes it on success or reopens it on failure', async () => {
    const { b, advance } = breaker();
    for (let i = 0; i < 3; i++) await expect(b.call(fail)).rejects.toThrow();
    advance(1000);
    expect(b.state).toBe('half-open');
    await expect(b.call(fail)).rejects.toThrow('503');
    expect(b.state).toBe('open');
    advance(1000);
    expect(await b.call(ok)).toBe('ok');
    expect(b.state).toBe('closed');
  });

  it('lets only one trial through while half-open', async () => {
    const { b, advance } = breaker();
    for (let i = 0; i < 3; i++) await expect(b.call(fail)).rejects.toThrow();
    advance(1000);
    let release = () => {};
    const trial = b.call(() => new Promise<string>((r) => (release = () => r('ok'))));
    await expect(b.call(ok)).rejects.toThrow(CircuitOpenError);
    release();
    expect(await trial).toBe('ok');
  });
});
