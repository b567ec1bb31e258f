/**
 * A discrete-event model of optimistic appends on DynamoDB (issue 10, item 5). Pure: no I/O, no clock, a
 * seeded RNG, so a seed gives the same numbers on every machine.
 *
 * One operation = one or more steps; a step reads its streams, decides, then commits one TransactWriteItems over
 * them. The read takes its snapshot halfway through the read's latency, the write applies halfway through the
 * write's latency; the window in between is where another commit to one of its streams makes it conflict.
 * - Conflict: a stream's version moved between the step's snapshot and its apply → the step is retried after
 *   full-jitter backoff (a fresh read), up to `maxAttempts` in all, then the operation gives up (a 409).
 * - Throttle: every stream lives on a partition (a hot stream is one partition key, so one partition) with a
 *   token bucket of `partitionWcuPerSecond`; a transactional item costs 2 WCU (items ≤ 1 KB). A commit that
 *   finds any of its partitions short is throttled (nothing consumed, nothing written) and retried the same way.
 * - A conflicted write still consumes its WCU (DynamoDB charges a failed conditional write).
 */

/** mulberry32: a small, fast, seeded PRNG in [0, 1). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** One partition's write capacity: refills at `rate` units/s up to `capacity`; a take is all or nothing. */
export class TokenBucket {
  #tokens: number;
  #last = 0;
  readonly rate: number;
  readonly capacity: number;
  constructor(rate: number, capacity: number) {
    this.rate = rate;
    this.capacity = capacity;
    this.#tokens = capacity;
  }
  #refill(nowMs: number): void {
    if (nowMs > this.#last) {
      this.#tokens = Math.min(this.capacity, this.#tokens + ((nowMs - this.#last) / 1000) * this.rate);
      this.#last = nowMs;
    }
  }
  canTake(nowMs: number, units: number): boolean {
    this.#refill(nowMs);
    return this.#tokens >= units;
  }
  /** Takes `units` if there are enough; false (and nothing taken) when throttled. */
  tryTake(nowMs: number, units: number): boolean {
    if (!this.canTake(nowMs, units)) return false;
    this.#tokens -= units;
    return true;
  }
  /** Takes `units` unconditionally (a conflicted write that was charged). */
  charge(nowMs: number, units: number): void {
    this.#refill(nowMs);
    this.#tokens = Math.max(0, this.#tokens - units);
  }
}

/** Stream versions: what a step read, and whether anything moved since. */
export class StreamVersions {
  readonly #versions = new Map<string, number>();
  version(stream: string): number {
    return this.#versions.get(stream) ?? 0;
  }
  read(streams: readonly string[]): number[] {
    return streams.map((s) => this.version(s));
  }
  /** The streams that moved since `read` (same order as `streams`). */
  moved(streams: readonly string[], read: readonly number[]): string[] {
    return streams.filter((s, i) => this.version(s) !== read[i]);
  }
  commit(streams: readonly string[]): void {
    for (const s of streams) this.#versions.set(s, this.version(s) + 1);
  }
}

/** A latency distribution as quantiles (ms), sampled by inverse CDF with linear interpolation. */
export class LatencyDistribution {
  readonly quantiles: readonly number[];
  constructor(quantiles: readonly number[]) {
    if (quantiles.length < 2) throw new RangeError('need at least two quantiles');
    this.quantiles = [...quantiles].sort((a, b) => a - b);
  }
  static constant(ms: number): LatencyDistribution {
    return new LatencyDistribution([ms, ms]);
  }
  sample(random: () => number): number {
    const x = random() * (this.quantiles.length - 1);
    const i = Math.floor(x);
    const lo = this.quantiles[i] as number;
    const hi = this.quantiles[Math.min(i + 1, this.quantiles.length - 1)] as number;
    return lo + (hi - lo) * (x - i);
  }
  at(p: number): number {
    return this.quantiles[Math.round((p / 100) * (this.quantiles.length - 1))] as number;
  }
  /** The same shape, scaled so its median is `p50Ms`. */
  withMedian(p50Ms: number): LatencyDistribution {
    const factor = p50Ms / this.at(50);
    return new LatencyDistribution(this.quantiles.map((q) => q * factor));
  }
}

/** A stream a step writes: its key (a hot one is its own partition) and whether it exists already. */
export interface StreamPick {
  readonly key: string;
  /** An existing stream costs a ConditionCheck on its previous version as well as the Put (today's adapter). */
  readonly existing: boolean;
}

/** What an operation writes: one list of streams per step; drawn once per operation (a retry keeps its shards). */
export type OperationShape = (random: () => number, n: number) => readonly (readonly StreamPick[])[];

export interface ModelParams {
  readonly read: LatencyDistribution;
  readonly write: LatencyDistribution;
  /** Compute between the read's answer and sending the write. */
  readonly decideMs: number;
  readonly partitionWcuPerSecond: number;
  /** Burst allowance of a partition, in WCU. */
  readonly partitionBurstWcu: number;
  readonly wcuPerItem: number;
  /** Transaction items for an existing stream (ConditionCheck + Put today) and for a new one (Put). */
  readonly itemsPerExistingStream: number;
  readonly itemsPerNewStream: number;
  readonly maxAttempts: number;
  readonly backoffBaseMs: number;
  readonly backoffCapMs: number;
}

/** Today's settings: the API's retry policy (5 attempts, full jitter 10 ms doubling to 200 ms), today's append. */
export const DEFAULT_PARAMS: Omit<ModelParams, 'read' | 'write'> = {
  decideMs: 2,
  partitionWcuPerSecond: 1_000,
  partitionBurstWcu: 20,
  wcuPerItem: 2,
  itemsPerExistingStream: 2,
  itemsPerNewStream: 1,
  maxAttempts: 5,
  backoffBaseMs: 10,
  backoffCapMs: 200,
};

export interface RunResult {
  readonly offeredPerSecond: number;
  /** The rate the Poisson arrivals really had (operations over the arrival span). */
  readonly arrivedPerSecond: number;
  /** The operations counted (the steady middle of the run). */
  readonly operations: number;
  readonly completed: number;
  readonly gaveUp: number;
  readonly commits: number;
  readonly conflicts: number;
  readonly throttles: number;
  readonly completedPerSecond: number;
  readonly conflictsPerCommit: number;
  readonly latencyP50Ms: number;
  readonly latencyP99Ms: number;
}

/** A binary min-heap of timed callbacks (ties in insertion order). */
class Agenda {
  readonly #heap: { t: number; seq: number; run: () => void }[] = [];
  #seq = 0;
  now = 0;
  at(t: number, run: () => void): void {
    const heap = this.#heap;
    heap.push({ t, seq: this.#seq++, run });
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (Agenda.#less(heap[parent] as never, heap[i] as never)) break;
      [heap[parent], heap[i]] = [heap[i] as never, heap[parent] as never];
      i = parent;
    }
  }
  static #less(a: { t: number; seq: number }, b: { t: number; seq: number }): boolean {
    return a.t < b.t || (a.t === b.t && a.seq < b.seq);
  }
  run(): void {
    const heap = this.#heap;
    while (heap.length > 0) {
      const top = heap[0] as { t: number; run: () => void };
      const last = heap.pop() as never;
      if (heap.length > 0) {
        heap[0] = last;
        let i = 0;
        for (;;) {
          const l = 2 * i + 1;
          const r = l + 1;
          let m = i;
          if (l < heap.length && Agenda.#less(heap[l] as never, heap[m] as never)) m = l;
          if (r < heap.length && Agenda.#less(heap[r] as never, heap[m] as never)) m = r;
          if (m === i) break;
          [heap[m], heap[i]] = [heap[i] as never, heap[m] as never];
          i = m;
        }
      }
      this.now = top.t;
      top.run();
    }
  }
}

/** Full jitter: uniform in [0, min(cap, base · 2^(attempt−1))). */
export function fullJitter(random: () => number, attempt: number, baseMs: number, capMs: number): number {
  return random() * Math.min(capMs, baseMs * 2 ** (attempt - 1));
}

/** Operations arriving this close to the start or the end of the arrivals are run but not counted. */
export const EDGE_MS = 300;

/**
 * Offers `operations` operations of `shape` as a Poisson stream at `offeredPerSecond`, runs them to completion
 * or give-up, and reports what was sustained. Counts only the operations that arrive at least `EDGE_MS` (at most a
 * quarter of the span) after the first arrival and before the last: the first ones meet less contention than the
 * steady state, and so do the last.
 */
export function simulate(
  shape: OperationShape,
  offeredPerSecond: number,
  operations: number,
  params: ModelParams,
  seed: number,
  edgeMs = EDGE_MS,
): RunResult {
  const random = seededRandom(seed);
  const agenda = new Agenda();
  const versions = new StreamVersions();
  const buckets = new Map<string, TokenBucket>();
  const bucket = (key: string) => {
    let b = buckets.get(key);
    if (!b) {
      b = new TokenBucket(params.partitionWcuPerSecond, params.partitionBurstWcu);
      buckets.set(key, b);
    }
    return b;
  };
  let completed = 0;
  let gaveUp = 0;
  let commits = 0;
  let conflicts = 0;
  let throttles = 0;
  let lastDone = 0;
  const latencies: number[] = [];

  const startOperation = (n: number, arrivedAt: number, counted: boolean) => {
    const count = counted ? 1 : 0;
    const steps = shape(random, n);
    const runStep = (stepIndex: number, attempt: number) => {
      const step = steps[stepIndex];
      if (!step) {
        completed += count;
        lastDone = agenda.now;
        if (counted) latencies.push(agenda.now - arrivedAt);
        return;
      }
      const keys = step.map((s) => s.key);
      const readMs = params.read.sample(random);
      const writeMs = params.write.sample(random);
      let seen: number[] = [];
      agenda.at(agenda.now + readMs / 2, () => {
        seen = versions.read(keys);
      });
      agenda.at(agenda.now + readMs + params.decideMs + writeMs / 2, () => {
        const now = agenda.now;
        const wcu = step.map(
          (s) => params.wcuPerItem * (s.existing ? params.itemsPerExistingStream : params.itemsPerNewStream),
        );
        const retry = () => {
          if (attempt >= params.maxAttempts) {
            gaveUp += count;
            lastDone = now + writeMs / 2;
            return;
          }
          const wait = fullJitter(random, attempt, params.backoffBaseMs, params.backoffCapMs);
          agenda.at(now + writeMs / 2 + wait, () => runStep(stepIndex, attempt + 1));
        };
        if (!step.every((s, i) => bucket(s.key).canTake(now, wcu[i] as number))) {
          throttles += count;
          retry();
          return;
        }
        step.forEach((s, i) => {
          bucket(s.key).charge(now, wcu[i] as number);
        });
        if (versions.moved(keys, seen).length > 0) {
          conflicts += count;
          retry();
          return;
        }
        versions.commit(keys);
        commits += count;
        agenda.at(now + writeMs / 2, () => runStep(stepIndex + 1, 1));
      });
    };
    runStep(0, 1);
  };

  const arrivals: number[] = [];
  let t = 0;
  for (let n = 0; n < operations; n++) {
    t += (-Math.log(1 - random()) * 1000) / offeredPerSecond;
    arrivals.push(t);
  }
  const edge = Math.min(edgeMs, t / 4);
  let measured = 0;
  arrivals.forEach((at, n) => {
    const counted = at >= edge && at <= t - edge;
    if (counted) measured++;
    agenda.at(at, () => startOperation(n, at, counted));
  });
  agenda.run();
  latencies.sort((a, b) => a - b);
  const q = (p: number) =>
    latencies[Math.min(latencies.length - 1, Math.ceil((p / 100) * latencies.length) - 1)] ?? 0;
  const seconds = Math.max(t, lastDone) / 1000;
  return {
    offeredPerSecond,
    arrivedPerSecond: t > 0 ? (operations * 1000) / t : 0,
    operations: measured,
    completed,
    gaveUp,
    commits,
    conflicts,
    throttles,
    completedPerSecond: seconds > 0 ? completed / seconds : 0,
    conflictsPerCommit: commits > 0 ? conflicts / commits : 0,
    latencyP50Ms: q(50),
    latencyP99Ms: q(99),
  };
}

export interface Sustain {
  /** At most this share of operations may give up (a 409). */
  readonly maxGiveUpRatio: number;
  /** The p99 of completed operations must stay under this. */
  readonly maxP99Ms: number;
}

/**
 * Sustained = at most 0.1 % of operations answered 409 and p99 ≤ 1 s. (Every operation ends, committed or given
 * up, within its retry budget, so a backlog shows as give-ups and latency, not as a queue.)
 */
export const DEFAULT_SUSTAIN: Sustain = { maxGiveUpRatio: 0.001, maxP99Ms: 1_000 };

export function sustains(result: RunResult, rule: Sustain): boolean {
  return result.gaveUp <= rule.maxGiveUpRatio * result.operations && result.latencyP99Ms <= rule.maxP99Ms;
}

/**
 * The highest offered rate (ops/s) that `sustains`, by bisection on a log scale in [lo, hi]; with the run at that
 * rate. Every probe uses the same seed (common random numbers: probes differ by their rate only), so the search is
 * deterministic and as monotonic as the model.
 */
export function ceiling(
  shape: OperationShape,
  params: ModelParams,
  options: {
    lo: number;
    hi: number;
    /** Operations per probe: at least `operations`, and enough for `minSeconds` of arrivals, up to `maxOperations`. */
    operations: number;
    minSeconds?: number;
    maxOperations?: number;
    seed: number;
    iterations?: number;
    rule?: Sustain;
  },
): { perSecond: number; run: RunResult | null } {
  const rule = options.rule ?? DEFAULT_SUSTAIN;
  let lo = options.lo;
  let hi = options.hi;
  let best: RunResult | null = null;
  const probe = (rate: number, i: number) =>
    simulate(shape, rate, options.operations, params, options.seed + i * 7919);
  const atLo = probe(lo, 0);
  if (!sustains(atLo, rule)) return { perSecond: 0, run: atLo };
  best = atLo;
  const atHi = probe(hi, 1);
  if (sustains(atHi, rule)) return { perSecond: hi, run: atHi };
  for (let i = 0; i < (options.iterations ?? 10); i++) {
    const mid = Math.sqrt(lo * hi);
    const run = probe(mid, i + 2);
    if (sustains(run, rule)) {
      lo = mid;
      best = run;
    } else {
      hi = mid;
    }
  }
  return { perSecond: lo, run: best };
}

/** The WCU bound alone: ops/s one partition allows when each op writes `wcuPerOp` units to it. */
export function partitionBound(params: ModelParams, wcuPerOpOnHottestPartition: number): number {
  return params.partitionWcuPerSecond / wcuPerOpOnHottestPartition;
}

const pick = (random: () => number, population: number) => Math.floor(random() * population);
const existing = (key: string): StreamPick => ({ key, existing: true });
const fresh = (key: string): StreamPick => ({ key, existing: false });

/** A deposit: its transfer stream (new), the customer's account (one of `accounts`), one of `n` settlement shards. */
export function depositShape(n: number, accounts: number): OperationShape {
  return (random, i) => [
    [
      fresh(`transfer#${i}`),
      existing(`account#${pick(random, accounts)}`),
      existing(`settlement#${pick(random, n)}`),
    ],
  ];
}

/**
 * A payment's two money steps (the saga's other steps touch no shared stream): ReserveFunds = payment + reserve
 * transfer (new) + payer + a clearing shard; PostTransfer = payment + a clearing shard + the merchant + a fees shard
 * + the payout and fee transfers (new). Each leg has its own transfer id, so its own shard.
 * `merchantShards` > 0: all to one merchant whose credits go to that many credit shards (issue 10 item 2's first
 * shape); 0: a merchant drawn from `merchants`.
 */
export function paymentShape(
  n: number,
  merchantShards: number,
  merchants: number,
  accounts: number,
): OperationShape {
  return (random, i) => {
    const merchant =
      merchantShards > 0
        ? `merchant#credits#${pick(random, merchantShards)}`
        : `merchant#${pick(random, merchants)}`;
    return [
      [
        existing(`payment#${i}`),
        fresh(`transfer#${i}-reserve`),
        existing(`account#${pick(random, accounts)}`),
        existing(`clearing#${pick(random, n)}`),
      ],
      [
        existing(`payment#${i}`),
        existing(`clearing#${pick(random, n)}`),
        existing(merchant),
        existing(`fees#${pick(random, n)}`),
        fresh(`transfer#${i}-payout`),
        fresh(`transfer#${i}-fee`),
      ],
    ];
  };
}
