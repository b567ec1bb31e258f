import { type StreamRef, streamKey } from '../domain/events.ts';
import type { LoadCache, Loaded } from '../domain/ports.ts';

/**
 * A load memory in process: the newest loaded state per stream and reducer version. With a limit (a
 * container's memory, shared by its commands) the least recently used stream is forgotten first.
 */
export class MemoryLoadCache implements LoadCache {
  readonly #entries = new Map<string, Loaded<unknown>>();
  readonly #limit: number;

  constructor(options: { readonly limit?: number } = {}) {
    this.#limit = options.limit ?? Number.POSITIVE_INFINITY;
  }

  get<S>(stream: StreamRef, reducerVersion: number): Loaded<S> | undefined {
    const key = `${streamKey(stream)}#r${reducerVersion}`;
    const loaded = this.#entries.get(key);
    if (loaded !== undefined && this.#limit !== Number.POSITIVE_INFINITY) {
      this.#entries.delete(key);
      this.#entries.set(key, loaded);
    }
    // The reducer version in the key vouches for the state's shape, as in the snapshot store.
    return loaded as Loaded<S> | undefined;
  }

  put<S>(reducerVersion: number, loaded: Loaded<S>): void {
    const key = `${streamKey(loaded.stream)}#r${reducerVersion}`;
    const current = this.#entries.get(key);
    if (current !== undefined && current.version > loaded.version) return;
    this.#entries.delete(key);
    this.#entries.set(key, loaded);
    if (this.#entries.size > this.#limit) {
      const oldest = this.#entries.keys().next();
      if (!oldest.done) this.#entries.delete(oldest.value);
    }
  }
}
