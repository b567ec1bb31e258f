import { describe, expect, it } from 'vitest';
import { parseProcPidStat, parseProcStat, startCpu } from '../../../bench/support/cpu.ts';
import { quantiles } from '../../../bench/support/ddb-latency.ts';
import { latencySummary, percentile, ratio, round } from '../../../bench/support/stats.ts';

describe('percentile (nearest rank)', () => {
  it('picks the nearest rank of unsorted values', () => {
    const values = [5, 1, 4, 2, 3, 6, 7, 8, 9, 10];
    expect(percentile(values, 50)).toBe(5);
    expect(percentile(values, 90)).toBe(9);
    expect(percentile(values, 99)).toBe(10);
    expect(percentile(values, 100)).toBe(10);
    expect(percentile(values, 0)).toBe(1);
    expect(percentile([42], 99)).toBe(42);
    expect(percentile([], 50)).toBeNaN();
    expect(() => percentile([1], 101)).toThrow(RangeError);
  });

  it('p99 of 1..1000 is 990; does not reorder its input', () => {
    const values = Array.from({ length: 1_000 }, (_, i) => 1_000 - i);
    expect(percentile(values, 99)).toBe(990);
    expect(values[0]).toBe(1_000);
  });

  it('summaries and ratios are JSON-friendly', () => {
    expect(latencySummary([])).toEqual({ p50: null, p99: null, max: null });
    expect(latencySummary([1.25, 2.25])).toEqual({ p50: 1.3, p99: 2.3, max: 2.3 });
    expect(ratio(1, 4)).toBe(0.25);
    expect(ratio(1, 0)).toBeNull();
    expect(ratio(null, 2)).toBeNull();
    expect(round(Number.NaN)).toBeNull();
  });

  it('quantiles interpolate from p0 to p100', () => {
    const q = quantiles([10, 0, 20], 5);
    expect(q).toEqual([0, 5, 10, 15, 20]);
  });
});

describe('CPU from /proc', () => {
  it('busy = user + nice + system + irq + softirq + steal; idle = idle + iowait', () => {
    const stat = 'cpu  100 5 50 1000 20 3 7 2 0 0\ncpu0 50 2 25 500 10 1 3 1 0 0\nintr 1\n';
    expect(parseProcStat(stat)).toEqual({ busy: 167, idle: 1020 });
    expect(() => parseProcStat('intr 1\n')).toThrow();
  });

  it('utime + stime of a process whose name holds spaces and parentheses', () => {
    const line = '4242 (java (x) y) S 1 4242 4242 0 -1 4194304 100 0 0 0 311 89 0 0 20 0 40 0 100 0 0';
    expect(parseProcPidStat(line)).toBe(400);
  });

  it('measures this process burning CPU', () => {
    const stop = startCpu();
    const until = performance.now() + 60;
    let x = 0;
    while (performance.now() < until) x += Math.sqrt(x + 1);
    const sample = stop();
    expect(x).toBeGreaterThan(0);
    expect(sample.stackMs).toBeGreaterThan(20);
    if (sample.machineMs !== null) expect(sample.machineMs).toBeGreaterThanOrEqual(0);
  });
});
