import { ConcurrencyConflictError } from '../domain/errors.ts';

export interface ConflictRetryOptions {
  /** Attempts in all, the first included. */
  readonly maxAttempts: number;
  /** Waits before attempt `attempt` (2, 3, …); the caller supplies the jitter. */
  readonly wait: (attempt: number) => Promise<void>;
}

/**
 * Runs a command (load, decide, append) again when another writer got there first, a bounded
 * number of times; the last conflict is rethrown for the caller to report as 409.
 */
export async function retryOnConflict<T>(run: () => Promise<T>, options: ConflictRetryOptions): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await run();
    } catch (error) {
      if (!(error instanceof ConcurrencyConflictError) || attempt >= options.maxAttempts) throw error;
      await options.wait(attempt + 1);
    }
  }
}
