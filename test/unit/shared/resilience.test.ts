import { afterEach, describe, expect, it, vi } from 'vitest';
import { fullJitterDelay, retryRounds } from '../../../lambdas/adapters/backoff.ts';
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

describe('retry rounds', () => {
  const limits = { retries: 3, base: 20, cap: 50 };

  /** A round that records what it was given and leaves pending what `left` says for that round. */
  function rounds(...left: number[][]) {
    const seen: number[][] = [];
    const round = async (pending: readonly number[]) => {
      seen.push([...pending]);
      return left[seen.length - 1] ?? [];
    };
    return { seen, round };
  }
  const recordDelays = () => {
    const delays: number[] = [];
    return { delays, delay: async (ms: number) => delays.push(ms) };
  };
  const giveUp = () => new Error('still pending');

  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('retries only what a round leaves pending, after a full-jitter delay, until nothing is', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(0.999);
    const { seen, round } = rounds([2, 3], [3], []);
    const { delays, delay } = recordDelays();

    await retryRounds([1, 2, 3], round, limits, giveUp, delay);

    expect(seen).toEqual([[1, 2, 3], [2, 3], [3]]);
    expect(delays).toEqual([19, 39]);
  });

  it('gives up with its error after the last retry, having waited before each retry only', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(0.999);
    const { seen, round } = rounds([1], [1], [1], [1], [1]);
    const { delays, delay } = recordDelays();

    await expect(retryRounds([1], round, limits, giveUp, delay)).rejects.toThrow('still pending');

    expect(seen).toHaveLength(limits.retries + 1);
    expect(delays).toEqual([19, 39, 49]);
  });

  it('runs no round for nothing pending, and does not retry a round that throws', async () => {
    const { seen, round } = rounds();
    await retryRounds([], round, limits, giveUp, async () => {});
    expect(seen).toEqual([]);

    let calls = 0;
    const failing = async () => {
      calls++;
      throw new Error('boom');
    };
    await expect(retryRounds([1], failing, limits, giveUp, async () => {})).rejects.toThrow('boom');
    expect(calls).toBe(1);
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
