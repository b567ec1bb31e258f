/** How a chunk's rows run side by side: a bounded number at once, rows sharing an account in file order. */

/**
 * Rows that share an account wait for each other (in file order): within a chunk they would only
 * race on the account's stream and spend conflict retries; rows of distinct accounts run at once.
 */
export class AccountLocks {
  readonly #tails = new Map<string, Promise<void>>();

  async run<R>(accounts: readonly string[], work: () => Promise<R>): Promise<R> {
    const keys = [...new Set(accounts)];
    const before = keys.map((k) => this.#tails.get(k) ?? Promise.resolve());
    let release = () => {};
    const mine = new Promise<void>((resolve) => {
      release = resolve;
    });
    for (const k of keys) this.#tails.set(k, mine);
    try {
      await Promise.all(before);
      return await work();
    } finally {
      release();
      for (const k of keys) if (this.#tails.get(k) === mine) this.#tails.delete(k);
    }
  }
}

/** Runs `work` over `items` with at most `limit` at once, results in input order. */
export async function mapLimited<T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const runner = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await work(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, runner));
  return results;
}
