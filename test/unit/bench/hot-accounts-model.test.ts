import { describe, expect, it } from 'vitest';
import {
  ceiling,
  DEFAULT_PARAMS,
  depositShape,
  fullJitter,
  LatencyDistribution,
  type ModelParams,
  type OperationShape,
  partitionBound,
  StreamVersions,
  seededRandom,
  simulate,
  TokenBucket,
} from '../../../bench/support/hot-accounts-model.ts';

const fast: ModelParams = {
  ...DEFAULT_PARAMS,
  read: LatencyDistribution.constant(0.01),
  write: LatencyDistribution.constant(0.01),
  decideMs: 0,
};

describe('one partition', () => {
  it('throttles past its capacity, takes nothing when it does, and refills at its rate', () => {
    const bucket = new TokenBucket(1_000, 20);
    expect(bucket.tryTake(0, 16)).toBe(true);
    expect(bucket.tryTake(0, 8)).toBe(false); // 4 left: all or nothing
    expect(bucket.tryTake(0, 4)).toBe(true);
    expect(bucket.canTake(0, 1)).toBe(false);
    expect(bucket.tryTake(5, 5)).toBe(true); // 5 ms at 1,000/s = 5 units
    expect(bucket.tryTake(5, 1)).toBe(false);
    expect(bucket.canTake(1_000, 21)).toBe(false); // never above its capacity
    expect(bucket.canTake(1_000, 20)).toBe(true);
  });

  it('sustains 1,000 WCU/s for a long run and not more', () => {
    const bucket = new TokenBucket(1_000, 20);
    let taken = 0;
    for (let ms = 0; ms < 10_000; ms += 0.5) if (bucket.tryTake(ms, 2)) taken += 2;
    expect(taken).toBeGreaterThanOrEqual(10_000);
    expect(taken).toBeLessThanOrEqual(10_020);
  });
});

describe('conflict detection', () => {
  it('names the streams that moved since the read, and only those', () => {
    const versions = new StreamVersions();
    const streams = ['transfer#1', 'account#a', 'settlement#0'];
    const read = versions.read(streams);
    expect(versions.moved(streams, read)).toEqual([]);
    versions.commit(['settlement#0', 'account#b']);
    expect(versions.moved(streams, read)).toEqual(['settlement#0']);
    expect(versions.moved(streams, versions.read(streams))).toEqual([]);
  });

  it('two operations on one stream whose windows overlap: one conflicts and retries, both commit', () => {
    const shape: OperationShape = () => [[{ key: 'settlement#0', existing: true }]];
    const params: ModelParams = {
      ...DEFAULT_PARAMS,
      read: LatencyDistribution.constant(10),
      write: LatencyDistribution.constant(10),
      backoffBaseMs: 1,
    };
    // 2 operations at 10,000/s arrive ~0.1 ms apart: the second reads before the first applies.
    const run = simulate(shape, 10_000, 2, params, 1, 0);
    expect(run.completed).toBe(2);
    expect(run.commits).toBe(2);
    expect(run.conflicts).toBeGreaterThanOrEqual(1);
  });

  it('operations on distinct streams never conflict', () => {
    const shape: OperationShape = (_random, i) => [[{ key: `account#${i}`, existing: true }]];
    const params: ModelParams = {
      ...fast,
      read: LatencyDistribution.constant(10),
      write: LatencyDistribution.constant(10),
    };
    const run = simulate(shape, 5_000, 500, params, 1, 0);
    expect(run.conflicts).toBe(0);
    expect(run.completed).toBe(500);
  });
});

describe('simulate', () => {
  it('is deterministic for a seed', () => {
    const params: ModelParams = {
      ...DEFAULT_PARAMS,
      read: LatencyDistribution.constant(3),
      write: LatencyDistribution.constant(6),
    };
    const a = simulate(depositShape(2, 1_000), 100, 500, params, 7);
    const b = simulate(depositShape(2, 1_000), 100, 500, params, 7);
    const c = simulate(depositShape(2, 1_000), 100, 500, params, 8);
    expect(a).toEqual(b);
    expect(c).not.toEqual(a);
  });

  it('full jitter stays under min(cap, base · 2^(attempt−1))', () => {
    const random = seededRandom(3);
    for (let attempt = 1; attempt <= 8; attempt++) {
      for (let i = 0; i < 100; i++) {
        const wait = fullJitter(random, attempt, 10, 200);
        expect(wait).toBeGreaterThanOrEqual(0);
        expect(wait).toBeLessThan(Math.min(200, 10 * 2 ** (attempt - 1)));
      }
    }
  });
});

describe('ceiling against N', () => {
  const search = {
    lo: 1,
    hi: 2_000,
    operations: 2_000,
    minSeconds: 1,
    maxOperations: 4_000,
    seed: 42,
    iterations: 10,
  };

  it('N = 1, no conflicts possible: saturates at the 1,000 WCU/s partition bound (4 WCU per deposit)', () => {
    const bound = partitionBound(fast, DEFAULT_PARAMS.wcuPerItem * DEFAULT_PARAMS.itemsPerExistingStream);
    expect(bound).toBe(250);
    const { perSecond } = ceiling(depositShape(1, 1_000_000), fast, search);
    expect(perSecond).toBeLessThanOrEqual(bound);
    expect(perSecond).toBeGreaterThan(0.7 * bound);
  });

  it('grows with N', () => {
    const params: ModelParams = {
      ...DEFAULT_PARAMS,
      read: LatencyDistribution.constant(5),
      write: LatencyDistribution.constant(10),
    };
    const at = (n: number) =>
      ceiling(depositShape(n, 1_000_000), params, { ...search, hi: 250 * n * 1.2, operations: 1_000 })
        .perSecond;
    const one = at(1);
    const four = at(4);
    const sixteen = at(16);
    expect(one).toBeGreaterThan(0);
    expect(four).toBeGreaterThan(2 * one);
    expect(sixteen).toBeGreaterThan(2 * four);
  });
});

describe('LatencyDistribution', () => {
  it('samples within its quantiles and keeps its shape when rescaled to a median', () => {
    const d = new LatencyDistribution([1, 2, 3, 4, 20]);
    const random = seededRandom(1);
    for (let i = 0; i < 1_000; i++) {
      const x = d.sample(random);
      expect(x).toBeGreaterThanOrEqual(1);
      expect(x).toBeLessThanOrEqual(20);
    }
    const scaled = d.withMedian(6);
    expect(scaled.at(50)).toBe(6);
    expect(scaled.at(100)).toBe(40);
  });
});
