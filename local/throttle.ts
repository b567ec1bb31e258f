// API Gateway's throttles and quotas for the local gateway, from its documentation ("Throttle requests
// to your REST APIs", the UsagePlan and Stage MethodSetting references, "429 Too Many Requests or Limit
// Exceeded" in the knowledge center). Token buckets: `rateLimit` tokens a second refill a bucket of
// `burstLimit`; a request takes one token from every bucket that meters it, or is refused.
//
// API Gateway applies the limits in this order, and the first one that has no token refuses (it names
// the refusal in `Refusal.by`):
//   1. the usage plan, per API key: the plan's per-method throttle of that key (ApiStages.Throttle),
//      then the plan's throttle of that key;
//   2. the stage, per method: the method's own MethodSetting, or else the stage's default (`/*` `*`),
//      one bucket every method without a setting of its own shares;
//   3. the account, per Region (10,000 requests a second, burst 5,000).
// Then the plan's quota (requests per DAY, WEEK or MONTH of UTC, `offset` fewer in the first period).
// A refused request takes nothing: no token from the buckets that had one, no count from the quota.
// A throttle answers 429 `{"message":"Too Many Requests"}` (TooManyRequestsException), the quota 429
// `{"message":"Limit Exceeded"}` (LimitExceededException), as API Gateway does. API Gateway sends no
// Retry-After; the local gateway adds one: whole seconds until every bucket that refused has a token,
// or until the next quota period.
import { type GatewayResponse, gatewayError } from './gateway-responses.ts';

/** A token bucket's settings; a negative value (API Gateway's -1) means no limit. */
export interface ThrottleLimit {
  readonly rateLimit: number;
  readonly burstLimit: number;
}

export type QuotaPeriod = 'DAY' | 'WEEK' | 'MONTH';

export interface QuotaLimit {
  readonly limit: number;
  /** Requests taken off the limit in the first period. */
  readonly offset: number;
  readonly period: QuotaPeriod;
}

/** A usage plan's limits on the served stage. */
export interface UsagePlanLimits {
  readonly id: string;
  readonly throttle?: ThrottleLimit;
  readonly quota?: QuotaLimit;
  /** Per-method throttles of each key, by method key (`/accounts/{id}/GET`). */
  readonly methods: Readonly<Record<string, ThrottleLimit>>;
}

/** Every limit of the served stage. */
export interface ApiLimits {
  /** The stage's default method throttle, shared by every method without one of its own. */
  readonly stage?: ThrottleLimit;
  /** Methods' own throttles, by method key (`/webhooks/processor/POST`). */
  readonly methods: Readonly<Record<string, ThrottleLimit>>;
  readonly plans: readonly UsagePlanLimits[];
}

/** API Gateway's default account-level throttle per Region. */
export const ACCOUNT_THROTTLE: ThrottleLimit = { rateLimit: 10_000, burstLimit: 5_000 };

/** The key API Gateway gives a method in MethodSettings and usage plan throttles: `/path/METHOD`. */
export const methodKey = (path: string, method: string): string =>
  `${path === '/' ? '' : path}/${method.toUpperCase()}`;

export type LimitName = 'usage-plan-method' | 'usage-plan' | 'method' | 'stage' | 'account' | 'quota';

/** Why a request is refused, and when to try again (seconds; undefined when no retry will pass). */
export interface Refusal {
  readonly by: LimitName;
  readonly retryAfterSeconds: number | undefined;
}

class Bucket {
  readonly #rate: number;
  readonly #burst: number;
  #tokens: number;
  #at: number;

  constructor(limit: ThrottleLimit, now: number) {
    this.#rate = limit.rateLimit;
    this.#burst = limit.burstLimit;
    this.#tokens = limit.burstLimit;
    this.#at = now;
  }

  /** Milliseconds until the bucket holds a whole token: 0 now, Infinity never. */
  waitMs(now: number): number {
    this.#tokens = Math.min(this.#burst, this.#tokens + (Math.max(0, now - this.#at) / 1000) * this.#rate);
    this.#at = Math.max(this.#at, now);
    if (this.#tokens >= 1) return 0;
    if (this.#rate <= 0 || this.#burst < 1) return Number.POSITIVE_INFINITY;
    return ((1 - this.#tokens) / this.#rate) * 1000;
  }

  take(): void {
    this.#tokens -= 1;
  }
}

const DAY_MS = 86_400_000;

/** The UTC start of the quota period holding `now`, and of the next one (weeks start on Sunday). */
export function quotaPeriod(period: QuotaPeriod, now: number): { start: number; next: number } {
  const date = new Date(now);
  const day = Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate());
  switch (period) {
    case 'DAY':
      return { start: day, next: day + DAY_MS };
    case 'WEEK': {
      const start = day - date.getUTCDay() * DAY_MS;
      return { start, next: start + 7 * DAY_MS };
    }
    case 'MONTH':
      return {
        start: Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), 1),
        next: Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 1),
      };
  }
}

class QuotaCounter {
  readonly #quota: QuotaLimit;
  readonly #firstPeriod: number;
  #period: { start: number; next: number };
  #used = 0;

  constructor(quota: QuotaLimit, now: number) {
    this.#quota = quota;
    this.#period = quotaPeriod(quota.period, now);
    this.#firstPeriod = this.#period.start;
  }

  /** Milliseconds until a request may count: 0 now. */
  waitMs(now: number): number {
    if (now >= this.#period.next) {
      this.#period = quotaPeriod(this.#quota.period, now);
      this.#used = 0;
    }
    const offset = this.#period.start === this.#firstPeriod ? this.#quota.offset : 0;
    return this.#used < this.#quota.limit - offset ? 0 : this.#period.next - now;
  }

  count(): void {
    this.#used += 1;
  }
}

const unlimited = (limit: ThrottleLimit | undefined): boolean =>
  limit === undefined || limit.rateLimit < 0 || limit.burstLimit < 0;

/** A request to meter: its route, and the API key it resolved to when the method requires one. */
export interface Metered {
  readonly method: string;
  readonly path: string;
  readonly key?: { readonly id: string; readonly planId?: string };
}

/** The throttles and quotas of one stage, with their state; `now` is the clock (ms since the epoch). */
export class RequestLimiter {
  readonly #limits: ApiLimits;
  readonly #plans: ReadonlyMap<string, UsagePlanLimits>;
  readonly #now: () => number;
  readonly #buckets = new Map<string, Bucket>();
  readonly #quotas = new Map<string, QuotaCounter>();

  constructor(limits: ApiLimits, now: () => number = Date.now) {
    this.#limits = limits;
    this.#plans = new Map(limits.plans.map((plan) => [plan.id, plan]));
    this.#now = now;
  }

  /** Takes a token from every bucket that meters the request and counts it, or says why it is refused. */
  admit(request: Metered): Refusal | undefined {
    const now = this.#now();
    const method = methodKey(request.path, request.method);
    const plan = request.key?.planId === undefined ? undefined : this.#plans.get(request.key.planId);
    const client = plan && request.key ? `${plan.id}\u0000${request.key.id}` : undefined;
    const own = this.#limits.methods[method];
    const meters: [LimitName, string, ThrottleLimit | undefined][] = [
      ['usage-plan-method', `${client}\u0000${method}`, client ? plan?.methods[method] : undefined],
      ['usage-plan', `${client}`, client ? plan?.throttle : undefined],
      own ? ['method', `method\u0000${method}`, own] : ['stage', 'stage', this.#limits.stage],
      ['account', 'account', ACCOUNT_THROTTLE],
    ];
    const buckets = meters.flatMap(([name, id, limit]) => {
      if (unlimited(limit) || !limit) return [];
      const bucket = cached(this.#buckets, id, () => new Bucket(limit, now));
      return [{ name, bucket, wait: bucket.waitMs(now) }];
    });
    const empty = buckets.filter((b) => b.wait > 0);
    const [first] = empty;
    if (first) return { by: first.name, retryAfterSeconds: seconds(Math.max(...empty.map((b) => b.wait))) };
    let quota: QuotaCounter | undefined;
    if (client && plan?.quota) {
      const limit = plan.quota;
      quota = cached(this.#quotas, client, () => new QuotaCounter(limit, now));
      const wait = quota.waitMs(now);
      if (wait > 0) return { by: 'quota', retryAfterSeconds: seconds(wait) };
    }
    for (const { bucket } of buckets) bucket.take();
    quota?.count();
    return undefined;
  }
}

function cached<T>(map: Map<string, T>, id: string, make: () => T): T {
  const found = map.get(id);
  if (found !== undefined) return found;
  const made = make();
  map.set(id, made);
  return made;
}

const seconds = (ms: number): number | undefined =>
  Number.isFinite(ms) ? Math.max(1, Math.ceil(ms / 1000)) : undefined;

/** The 429 API Gateway answers for a refusal, with the local Retry-After. */
export function refusalResponse(refusal: Refusal): GatewayResponse {
  const response =
    refusal.by === 'quota'
      ? gatewayError(429, 'LimitExceededException', { message: 'Limit Exceeded' })
      : gatewayError(429, 'TooManyRequestsException', { message: 'Too Many Requests' });
  if (refusal.retryAfterSeconds === undefined) return response;
  return { ...response, headers: { ...response.headers, 'retry-after': String(refusal.retryAfterSeconds) } };
}

/** A key as the limiter meters it: its id and the usage plan that holds it on the stage. */
export interface MeteredKey {
  readonly id: string;
  readonly planId?: string;
}

/** `LEDGERLINE_LOCAL_THROTTLE=off` lets everything through (a load bench above a tenant's rate). */
export const THROTTLE_SWITCH = 'LEDGERLINE_LOCAL_THROTTLE';

/**
 * The gateway's one call, after authorization and the API key check, before the integration: the
 * 429 to answer, or undefined. Usage plans meter only methods that require an API key, by the key the
 * gateway resolved the request's usage key to (the header, or the authorizer's usageIdentifierKey).
 */
export function gatewayLimiter(
  api: { readonly limits?: ApiLimits },
  now: () => number = Date.now,
  env: Readonly<Record<string, string | undefined>> = process.env,
): (
  route: { method: string; path: string; apiKeyRequired: boolean },
  key: MeteredKey | undefined,
) => GatewayResponse | undefined {
  if (env[THROTTLE_SWITCH] === 'off') return () => undefined;
  const limiter = new RequestLimiter(api.limits ?? { methods: {}, plans: [] }, now);
  return (route, key) => {
    const metered = route.apiKeyRequired ? key : undefined;
    const refusal = limiter.admit({
      method: route.method,
      path: route.path,
      ...(metered ? { key: metered } : {}),
    });
    return refusal && refusalResponse(refusal);
  };
}

/** A CloudFormation ThrottleSettings (`RateLimit`, `BurstLimit`); a missing one is no limit. */
export function throttleFromTemplate(value: unknown, fallback?: ThrottleLimit): ThrottleLimit | undefined {
  const props = record(value);
  const rate = numberOr(props.RateLimit ?? props.ThrottlingRateLimit, fallback?.rateLimit);
  const burst = numberOr(props.BurstLimit ?? props.ThrottlingBurstLimit, fallback?.burstLimit);
  if (rate === undefined && burst === undefined) return undefined;
  return { rateLimit: rate ?? -1, burstLimit: burst ?? -1 };
}

/** A usage plan's `Quota` (`Limit`, `Offset`, `Period`). */
export function quotaFromTemplate(value: unknown): QuotaLimit | undefined {
  const props = record(value);
  const limit = numberOr(props.Limit, undefined);
  const period = props.Period;
  if (limit === undefined || (period !== 'DAY' && period !== 'WEEK' && period !== 'MONTH')) return undefined;
  return { limit, offset: numberOr(props.Offset, 0) ?? 0, period };
}

/** A usage plan's per-method throttles (`ApiStages[].Throttle`, keyed `/path/METHOD`; CDK writes the root `//GET`). */
export function planMethodThrottles(value: unknown): Record<string, ThrottleLimit> {
  const methods: Record<string, ThrottleLimit> = {};
  for (const [key, settings] of Object.entries(record(value))) {
    const limit = throttleFromTemplate(settings);
    const at = key.lastIndexOf('/');
    if (limit && at >= 0) methods[methodKey(key.slice(0, at) || '/', key.slice(at + 1))] = limit;
  }
  return methods;
}

/**
 * A stage's `MethodSettings` as throttles: the `/*` `*` entry is the stage default; an entry of one
 * method (ResourcePath escaped as a JSON pointer, `/~1webhooks~1processor`) takes what it lacks from it.
 */
export function stageThrottles(methodSettings: unknown): Pick<ApiLimits, 'stage' | 'methods'> {
  const entries = (Array.isArray(methodSettings) ? methodSettings : []).map(record);
  const isDefault = (e: Record<string, unknown>) => e.ResourcePath === '/*' && e.HttpMethod === '*';
  const stage = throttleFromTemplate(entries.find(isDefault) ?? {});
  const methods: Record<string, ThrottleLimit> = {};
  for (const entry of entries.filter((e) => !isDefault(e))) {
    const limit = throttleFromTemplate(entry, stage);
    // `/`, then the path as one JSON-pointer token: `/~1webhooks~1processor` is `/webhooks/processor`.
    const token = String(entry.ResourcePath ?? '/').slice(1);
    const path = token === '' ? '/' : token.replaceAll('~1', '/').replaceAll('~0', '~');
    if (limit && (entry.ThrottlingRateLimit !== undefined || entry.ThrottlingBurstLimit !== undefined)) {
      methods[methodKey(path, String(entry.HttpMethod ?? '*'))] = limit;
    }
  }
  return { ...(stage ? { stage } : {}), methods };
}

const record = (value: unknown): Record<string, unknown> =>
  typeof value === 'object' && value !== null ? { ...value } : {};

function numberOr(value: unknown, fallback: number | undefined): number | undefined {
  if (value === undefined || value === null || value === '') return fallback;
  const n = Number(value);
  return Number.isFinite(n) ? n : fallback;
}
