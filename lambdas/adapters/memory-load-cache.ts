import { type StreamRef, streamKey } from '../domain/events.ts';
import type { LoadCache, Loaded } from '../domain/ports.ts';

/** A command's load memory: what it loaded, in process, the newest per stream and reducer version. */
export class MemoryLoadCache implements LoadCache {
  readonly #entries = new Map<string, Loaded<unknown>>();

  get<S>(stream: StreamRef, reducerVersion: number): Loaded<S> | undefined {
    // The reducer version in the key vouches for the state's shape, as in the snapshot store.
    return this.#entries.get(`${streamKey(stream)}#r${reducerVersion}`) as Loaded<S> | undefined;
  }

  put<S>(reducerVersion: number, loaded: Loaded<S>): void {
    const key = `${streamKey(loaded.stream)}#r${reducerVersion}`;
    const current = this.#entries.get(key);
    if (current === undefined || current.version <= loaded.version) this.#entries.set(key, loaded);
  }
}
