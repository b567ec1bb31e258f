// Deterministic fault injection for the local runtime (`LEDGERLINE_CHAOS=seed=<n>,<kind>=<rate>,…`).
// Every decision is a pure function of (seed, boundary, kind, identity, occurrence): never Math.random.
import { createHash } from 'node:crypto';
import { LocalRuntimeError } from './errors.ts';
import { Quiescence } from './quiescence.ts';

/** Every fault the runtime can inject, as `<boundary>.<fault>`. */
export const ALL_CHAOS_KINDS = [
  'dynamodb.response-lost',
  'dynamodb.throttle',
  'dynamodb.latency',
  'sqs.duplicate',
  'sqs.redeliver',
  'stream.duplicate',
  'stream.redeliver',
  'stream.fail',
  'lambda.crash',
  'lambda.timeout',
  'processor.timeout',
  'processor.5xx',
  'processor.decline',
  'processor.late-capture',
] as const;

export type ChaosKind = (typeof ALL_CHAOS_KINDS)[number];
/** The boundaries the local runtime owns. */
export type ChaosBoundary = ChaosKind extends `${infer B}.${string}` ? B : never;

function kindsOf(boundary: string): ChaosKind[] {
  return ALL_CHAOS_KINDS.filter((k) => k.startsWith(`${boundary}.`));
}

/** One fault the runtime injected. `kind` is the fault without its boundary (`response-lost`). */
export interface InjectedFault {
  readonly boundary: ChaosBoundary;
  readonly kind: string;
  /** The stable identity of the operation (with its occurrence), e.g. `PutItem events pk=…#2`. */
  readonly identity: string;
}

/** What a run injects: a seed and a rate in [0, 1] per kind (absent = 0). */
export interface ChaosSettings {
  readonly seed: number;
  readonly rates: Readonly<Partial<Record<ChaosKind, number>>>;
  /** Delay added by `dynamodb.latency`, and the upper bound of late captures; default 200 ms. */
  readonly latencyMs?: number;
  /**
   * Patterns (regular expressions) of identities never faulted nor counted: calls whose number depends on
   * the clock rather than on the run, such as a read through a per-container cache with a time to live.
   */
  readonly exempt?: readonly string[];
}

/** What the runtime exposes as `runtime.chaos`. */
export interface ChaosReport {
  readonly seed: number;
  log(): readonly InjectedFault[];
  /** Injected faults by `<boundary>.<fault>`. */
  counts(): Record<string, number>;
}

export const CHAOS_ENV = 'LEDGERLINE_CHAOS';

/** Ids the stack mints at random (`acct_<ULID>`, UUIDs) and timestamps: what differs between two runs. */
const MINTED_ID =
  /\b([a-z]+)_[0-9A-HJKMNP-TV-Z]{26}\b|\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/g;
const TIMESTAMP = /\b\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:?\d\d)?\b/g;

/** JSON with object keys sorted, so two equal operations have one identity. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object')
    return `{${Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`)
      .join(',')}}`;
  return JSON.stringify(value) ?? 'null';
}

function isKind(value: string): value is ChaosKind {
  return ALL_CHAOS_KINDS.some((k) => k === value);
}

function rate(value: string, name: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0 || n > 1)
    throw new LocalRuntimeError(`${CHAOS_ENV}: ${name} must be a rate between 0 and 1, got "${value}"`);
  return n;
}

/**
 * Parses `seed=<n>,<kind>=<rate>,…`. A kind is `<boundary>.<fault>`; `<boundary>=<rate>` sets every fault of
 * that boundary, `all=<rate>` every fault; later entries override earlier ones. `latency-ms=<n>` sets the delay.
 */
export function parseChaos(spec: string): ChaosSettings {
  let seed: number | undefined;
  let latencyMs: number | undefined;
  const rates: Partial<Record<ChaosKind, number>> = {};
  for (const part of spec.split(',').map((p) => p.trim())) {
    if (!part) continue;
    const eq = part.indexOf('=');
    if (eq < 0) throw new LocalRuntimeError(`${CHAOS_ENV}: "${part}" is not <name>=<value>`);
    const name = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (name === 'seed' || name === 'latency-ms') {
      const n = Number(value);
      if (value === '' || !Number.isSafeInteger(n) || n < 0)
        throw new LocalRuntimeError(`${CHAOS_ENV}: ${name} must be a non-negative integer, got "${value}"`);
      if (name === 'seed') seed = n;
      else latencyMs = n;
      continue;
    }
    const kinds = name === 'all' ? ALL_CHAOS_KINDS : kindsOf(name);
    if (isKind(name)) rates[name] = rate(value, name);
    else if (kinds.length > 0) for (const k of kinds) rates[k] = rate(value, name);
    else
      throw new LocalRuntimeError(
        `${CHAOS_ENV}: unknown fault "${name}" (known: seed, latency-ms, all, a boundary, or ${ALL_CHAOS_KINDS.join(', ')})`,
      );
  }
  if (seed === undefined) throw new LocalRuntimeError(`${CHAOS_ENV}: seed=<n> is required`);
  return { seed, rates, ...(latencyMs !== undefined ? { latencyMs } : {}) };
}

/** A uniform number in [0, 1) from the hash of (seed, kind, identity, occurrence). */
export function chaosDraw(seed: number, kind: ChaosKind, identity: string, occurrence: number): number {
  const digest = createHash('sha256')
    .update(`${seed}\u0000${kind}\u0000${identity}\u0000${occurrence}`)
    .digest();
  // 48 bits are plenty and stay exact in a double.
  return digest.readUIntBE(0, 6) / 2 ** 48;
}

/** Whether `kind` hits the `occurrence`-th time the operation `identity` is seen. Pure. */
export function chaosDecides(
  settings: ChaosSettings,
  kind: ChaosKind,
  identity: string,
  occurrence: number,
): boolean {
  const r = settings.rates[kind] ?? 0;
  return r > 0 && chaosDraw(settings.seed, kind, identity, occurrence) < r;
}

/**
 * The runtime's fault injector: counts occurrences of each operation identity per boundary, decides, and
 * records what it injected. With no settings (chaos off) it never injects.
 */
export class Chaos implements ChaosReport {
  readonly seed: number;
  readonly latencyMs: number;
  private readonly settings: ChaosSettings | undefined;
  private readonly seen = new Map<string, number>();
  private readonly injected: InjectedFault[] = [];
  /** Aliases of minted ids, per scope. */
  private readonly aliases = new Map<string, Map<string, string>>();
  private readonly exempt: readonly RegExp[];
  /**
   * Present in serial mode (replayable runs): the pollers register here, and the runtime's `idle()` asks
   * them whether they are caught up. Serial pollers also deliver one stream record or message at a time.
   */
  readonly quiescence: Quiescence | undefined;

  constructor(settings: ChaosSettings | undefined, options: { readonly serial?: boolean } = {}) {
    this.settings = settings;
    this.seed = settings?.seed ?? 0;
    this.latencyMs = settings?.latencyMs ?? 200;
    this.quiescence = options.serial ? new Quiescence() : undefined;
    this.exempt = (settings?.exempt ?? []).map((p) => new RegExp(p));
  }

  /**
   * `text` with every id the stack minted at random replaced by its order of first appearance in `scope`
   * (`acct_~3`) and timestamps by `T`, so the same scenario run twice names its operations the same way.
   * A scope is one sequential consumer (a function, a mapping): two consumers that meet new ids in a different
   * order then still name them the same way each run.
   */
  identity(text: string, scope = ''): string {
    let aliases = this.aliases.get(scope);
    if (!aliases) {
      aliases = new Map();
      this.aliases.set(scope, aliases);
    }
    const known = aliases;
    return text
      .replace(MINTED_ID, (id: string, prefix: string | undefined) => {
        let alias = known.get(id);
        if (!alias) {
          alias = `${prefix ?? 'uuid'}_~${known.size + 1}`;
          known.set(id, alias);
        }
        return alias;
      })
      .replace(TIMESTAMP, 'T');
  }

  /** Whether any fault of `boundary` can be injected (lets a hook skip its work entirely). */
  active(boundary: ChaosBoundary): boolean {
    const rates = this.settings?.rates ?? {};
    return kindsOf(boundary).some((k) => (rates[k] ?? 0) > 0);
  }

  /**
   * Counts one occurrence of `identity` at `boundary` for this set of `kinds`, then returns the first of `kinds`
   * that hits (recorded), or undefined. Ask once per operation with the kinds that exclude each other, in
   * priority order.
   */
  pick<K extends ChaosKind>(boundary: ChaosBoundary, identity: string, kinds: readonly K[]): K | undefined {
    if (!this.settings || this.exempt.some((p) => p.test(identity))) return undefined;
    // Occurrences count per question asked, so asking about other kinds of the same operation changes nothing.
    const key = `${boundary}\u0000${kinds.join()}\u0000${identity}`;
    const occurrence = (this.seen.get(key) ?? 0) + 1;
    this.seen.set(key, occurrence);
    for (const kind of kinds) {
      if (!chaosDecides(this.settings, kind, identity, occurrence)) continue;
      this.injected.push({
        boundary,
        kind: kind.slice(boundary.length + 1),
        identity: `${identity}#${occurrence}`,
      });
      return kind;
    }
    return undefined;
  }

  log(): readonly InjectedFault[] {
    return [...this.injected];
  }

  counts(): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const f of this.injected)
      counts[`${f.boundary}.${f.kind}`] = (counts[`${f.boundary}.${f.kind}`] ?? 0) + 1;
    return counts;
  }

  /** One line for the end of a run: the seed (to replay it) and what was injected. */
  summary(): string {
    const counts = Object.entries(this.counts())
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([k, n]) => `${k}=${n}`);
    return `chaos: seed=${this.seed} injected ${this.injected.length} fault(s)${counts.length ? `: ${counts.join(' ')}` : ''} (replay with ${CHAOS_ENV}=seed=${this.seed},…)`;
  }
}

/** The settings of a run: the option (a spec string or settings), else the environment, else off. */
export function chaosSettingsFrom(
  option: string | ChaosSettings | undefined,
  env: Readonly<Record<string, string | undefined>>,
): ChaosSettings | undefined {
  if (typeof option === 'string') return parseChaos(option);
  if (option) return option;
  const spec = env[CHAOS_ENV]?.trim();
  return spec ? parseChaos(spec) : undefined;
}
