import { setTimeout as sleep } from 'node:timers/promises';

/** Exponential backoff with full jitter (AWS Architecture Blog): a random delay in [0, min(cap, base × 2^(n-1))). */
export function fullJitterDelay(
  attempt: number,
  limits: { readonly base: number; readonly cap: number },
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(limits.cap, limits.base * 2 ** Math.max(0, attempt - 1));
  return Math.floor(random() * ceiling);
}

/** How often rounds are retried (`retries` after the first) and the full-jitter limits between them. */
export interface RetryRounds {
  readonly retries: number;
  readonly base: number;
  readonly cap: number;
}

/** Waits between retries; tests pass one that does not sleep. */
export type Delay = (ms: number) => Promise<unknown>;

/**
 * Runs `round` on the pending items, then again on what it returns as still pending, until nothing is,
 * waiting a full-jitter delay before each retry. Items still pending after `limits.retries` retries
 * throw `giveUp()`. An error `round` throws is not retried here.
 */
export async function retryRounds<T>(
  pending: readonly T[],
  round: (pending: readonly T[]) => Promise<readonly T[]>,
  limits: RetryRounds,
  giveUp: () => Error,
  delay: Delay = sleep,
): Promise<void> {
  let left = pending;
  for (let attempt = 0; left.length > 0; attempt++) {
    if (attempt > limits.retries) throw giveUp();
    if (attempt > 0) await delay(fullJitterDelay(attempt, limits));
    left = await round(left);
  }
}
