import { afterEach, describe, expect, it, vi } from 'vitest';
import { retryOnConflict } from '../../../lambdas/application/retry.ts';
import {
  CONFLICT_SPREAD,
  conflictBackoff,
  SHARD_RETRY_JITTER_MS,
} from '../../../lambdas/composition/ledger.ts';
import { ConcurrencyConflictError } from '../../../lambdas/domain/errors.ts';

afterEach(() => {
  vi.restoreAllMocks();
});

/** The delay conflictBackoff sets, with the jitter at its top. */
async function delayOf(
  attempt: number,
  lostAttemptMs?: number,
  conflict?: ConcurrencyConflictError,
): Promise<number> {
  vi.spyOn(Math, 'random').mockReturnValue(0.9999);
  const timeout = vi.spyOn(globalThis, 'setTimeout').mockImplementation((resolve: () => void) => {
    resolve();
    return 0 as unknown as NodeJS.Timeout;
  });
  await conflictBackoff(attempt, lostAttemptMs, conflict);
  const delay = timeout.mock.calls[0]?.[1];
  vi.restoreAllMocks();
  return delay ?? -1;
}

describe('retryOnConflict', () => {
  it('tells the wait how long the lost attempt took, and shares one load cache across attempts', async () => {
    const waits: Array<[number, number]> = [];
    const caches = new Set<unknown>();
    const cache = { get: () => undefined, put: () => {} };
    let attempts = 0;

    const result = await retryOnConflict(
      async (loadCache) => {
        caches.add(loadCache);
        attempts++;
        if (attempts < 3) throw new ConcurrencyConflictError(['account#t#a']);
        return 'done';
      },
      {
        maxAttempts: 3,
        wait: async (attempt, lostMs) => void waits.push([attempt, lostMs]),
        loadCache: () => cache,
      },
    );

    expect(result).toBe('done');
    expect(waits.map(([attempt]) => attempt)).toEqual([2, 3]);
    expect(waits.every(([, lostMs]) => lostMs >= 0)).toBe(true);
    expect([...caches]).toEqual([cache]);
  });
});

describe('conflictBackoff', () => {
  it('spreads a retry over the length of the attempt that lost, doubling per attempt, capped at 1 s', async () => {
    expect(await delayOf(2, 100)).toBe(100 * CONFLICT_SPREAD - 1);
    expect(await delayOf(3, 100)).toBe(200 * CONFLICT_SPREAD - 1);
    expect(await delayOf(8, 100)).toBe(999);
  });

  it('keeps the fixed 10 ms base when it is not told how long the attempt took', async () => {
    expect(await delayOf(2)).toBe(9);
    expect(await delayOf(3)).toBe(19);
  });
});

describe('conflictBackoff on system shards', () => {
  it('goes again at once when only system shards moved, and backs off when anything else did', async () => {
    const shards = new ConcurrencyConflictError(['account#t#settlement-USD~3', 'account#t#fees-USD~0']);
    expect(await delayOf(3, 400, shards)).toBeLessThanOrEqual(SHARD_RETRY_JITTER_MS);
    for (const streams of [
      ['account#t#settlement-USD~3', 'account#t#acct_1'],
      ['account#t#acct_1~3'],
      ['transfer#t#tr_1'],
      ['account#t#settlement-USD'],
    ]) {
      expect(await delayOf(3, 400, new ConcurrencyConflictError(streams))).toBeGreaterThan(400);
    }
  });
});
