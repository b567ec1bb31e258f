import { ConcurrencyConflictError } from '../domain/errors.ts';
import type { LedgerPorts, LoadCache } from '../domain/ports.ts';

export interface ConflictRetryOptions {
  /** Attempts in all, the first included. */
  readonly maxAttempts: number;
  /**
   * Waits before attempt `attempt` (2, 3, …), given how long the attempt that lost took; the
   * caller supplies the jitter.
   */
  readonly wait: (
    attempt: number,
    lostAttemptMs: number,
    conflict: ConcurrencyConflictError,
  ) => Promise<void>;
  /** Makes the load memory of one command, shared by its attempts (see `load`). */
  readonly loadCache?: () => LoadCache;
}

/**
 * Runs a command (load, decide, append) again when another writer got there first, a bounded
 * number of times; the last conflict is rethrown for the caller to report as 409. Every attempt
 * gets the same load cache (when the options make one): put it in the command's ports
 * (`{ ...ports, loadCache }`) and a retry re-reads only the events after the versions it had.
 */
export async function retryOnConflict<T>(
  run: (loadCache: LoadCache | undefined) => Promise<T>,
  options: ConflictRetryOptions,
): Promise<T> {
  const loadCache = options.loadCache?.();
  for (let attempt = 1; ; attempt++) {
    const started = performance.now();
    try {
      return await run(loadCache);
    } catch (error) {
      if (!(error instanceof ConcurrencyConflictError) || attempt >= options.maxAttempts) throw error;
      await options.wait(attempt + 1, performance.now() - started, error);
    }
  }
}

/** Dependencies whose ports carry the command's load cache, when its retry loop keeps one. */
export function withCache<D extends { readonly ports: LedgerPorts }>(
  deps: D,
  loadCache: LoadCache | undefined,
): D {
  return loadCache ? { ...deps, ports: { ...deps.ports, loadCache } } : deps;
}
