import { describe, expect, it } from 'vitest';
import { MemoryLoadCache } from '../../../lambdas/adapters/memory-load-cache.ts';
import type { StreamRef } from '../../../lambdas/domain/events.ts';
import type { Loaded } from '../../../lambdas/domain/ports.ts';

const stream = (id: string): StreamRef => ({ type: 'account', tenantId: 't1', id });
const loaded = (id: string, version: number): Loaded<{ n: number }> => ({
  stream: stream(id),
  state: { n: version },
  version,
  snapshotVersion: 0,
});

describe('MemoryLoadCache', () => {
  it('keeps the newest state per stream and reducer version', () => {
    const cache = new MemoryLoadCache();
    cache.put(1, loaded('a', 3));
    cache.put(1, loaded('a', 2));
    expect(cache.get(stream('a'), 1)?.version).toBe(3);
    expect(cache.get(stream('a'), 2)).toBeUndefined();
  });

  it('with a limit, forgets the least recently used stream first', () => {
    const cache = new MemoryLoadCache({ limit: 2 });
    cache.put(1, loaded('a', 1));
    cache.put(1, loaded('b', 1));
    expect(cache.get(stream('a'), 1)).toBeDefined();
    cache.put(1, loaded('c', 1));
    expect(cache.get(stream('b'), 1)).toBeUndefined();
    expect([cache.get(stream('a'), 1)?.version, cache.get(stream('c'), 1)?.version]).toEqual([1, 1]);
  });
});
