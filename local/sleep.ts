/** Resolves after `ms`, or at once when `signal` aborts (never rejects). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** Exponential backoff for retry `attempt` (1-based), capped. */
export function backoffMs(attempt: number, baseMs = 200, capMs = 5000): number {
  return Math.min(capMs, baseMs * 2 ** Math.max(0, attempt - 1));
}
