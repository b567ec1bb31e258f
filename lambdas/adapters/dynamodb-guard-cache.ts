import type { Guard } from '../domain/projections/read-model.ts';

/**
 * The guards a store last read or committed, least recently used first out. Keys carry the table and
 * its generation, so a switch of tables forgets every guard of the old one. Values are cloned in and
 * out: a caller that edits a guard's state does not edit the cache. Size 0 remembers nothing.
 */
export class GuardCache {
  readonly #size: number;
  readonly #guards = new Map<string, Guard<unknown>>();

  constructor(size: number) {
    this.#size = size;
  }

  /** The cache key of a guard row: `<table>|<generation>|<pk>|<sk>`. */
  static key(table: string, generation: string, pk: string, sk: string | undefined): string {
    return `${table}|${generation}|${pk}|${sk ?? ''}`;
  }

  get<S>(key: string): Guard<S> | undefined {
    const guard = this.#guards.get(key);
    return guard === undefined ? undefined : (structuredClone(guard) as Guard<S>);
  }

  remember(key: string, guard: Guard<unknown>): void {
    if (this.#size <= 0) return;
    this.#guards.delete(key);
    this.#guards.set(key, structuredClone(guard));
    if (this.#guards.size > this.#size) {
      const oldest = this.#guards.keys().next().value;
      if (oldest !== undefined) this.#guards.delete(oldest);
    }
  }

  forget(key: string): void {
    this.#guards.delete(key);
  }
}
