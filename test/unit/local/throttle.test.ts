// The local gateway's throttles and quotas, on an injected clock: no sleeps, no timing.
import { describe, expect, it } from 'vitest';
import {
  type ApiLimits,
  gatewayLimiter,
  type Metered,
  planMethodThrottles,
  quotaFromTemplate,
  quotaPeriod,
  RequestLimiter,
  refusalResponse,
  stageThrottles,
  throttleFromTemplate,
} from '../../../local/throttle.ts';

/** A clock the test moves by hand. */
function clock(start = Date.UTC(2026, 0, 15, 12)) {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms), set: (at: number) => (now = at) };
}

const GET_ACCOUNT: Metered = { method: 'GET', path: '/accounts/{id}' };
const WEBHOOK: Metered = { method: 'POST', path: '/webhooks/processor' };
const tenant = (id: string, planId = 'plan'): Metered => ({ ...GET_ACCOUNT, key: { id, planId } });

/** How many of `count` requests pass, one after another at the same instant. */
function passing(limiter: RequestLimiter, request: Metered, count: number): number {
  let passed = 0;
  for (let i = 0; i < count; i++) if (limiter.admit(request) === undefined) passed++;
  return passed;
}

const limits = (overrides: Partial<ApiLimits>): ApiLimits => ({ methods: {}, plans: [], ...overrides });

describe('the token buckets', () => {
  it('let a burst through, then refuse until a token refills', () => {
    const time = clock();
    const limiter = new RequestLimiter(limits({ stage: { rateLimit: 2, burstLimit: 5 } }), time.now);
    expect(passing(limiter, GET_ACCOUNT, 8)).toBe(5);
    expect(limiter.admit(GET_ACCOUNT)).toEqual({ by: 'stage', retryAfterSeconds: 1 });
    time.advance(499);
    expect(limiter.admit(GET_ACCOUNT)).toBeDefined();
    time.advance(1);
    expect(passing(limiter, GET_ACCOUNT, 3)).toBe(1);
    time.advance(10_000);
    expect(passing(limiter, GET_ACCOUNT, 10)).toBe(5); // refilled to the burst, never past it
  });

  it('says in Retry-After how many whole seconds until the bucket holds a token', () => {
    const time = clock();
    const limiter = new RequestLimiter(limits({ stage: { rateLimit: 0.25, burstLimit: 1 } }), time.now);
    expect(limiter.admit(GET_ACCOUNT)).toBeUndefined();
    expect(limiter.admit(GET_ACCOUNT)?.retryAfterSeconds).toBe(4);
    time.advance(1_500);
    expect(limiter.admit(GET_ACCOUNT)?.retryAfterSeconds).toBe(3);
    time.advance(2_499);
    expect(limiter.admit(GET_ACCOUNT)?.retryAfterSeconds).toBe(1);
    time.advance(1);
    expect(limiter.admit(GET_ACCOUNT)).toBeUndefined();
  });

  it('has no Retry-After when no token will come (rate 0), and no limit for -1', () => {
    const shut = new RequestLimiter(limits({ stage: { rateLimit: 0, burstLimit: 1 } }), clock().now);
    expect(shut.admit(GET_ACCOUNT)).toBeUndefined();
    expect(shut.admit(GET_ACCOUNT)).toEqual({ by: 'stage', retryAfterSeconds: undefined });
    const open = new RequestLimiter(limits({ stage: { rateLimit: -1, burstLimit: -1 } }), clock().now);
    expect(passing(open, GET_ACCOUNT, 6_000)).toBe(5_000); // the account's burst is what remains
  });
});

describe('which bucket meters a request', () => {
  it('gives each API key of a plan its own bucket', () => {
    const time = clock();
    const plan = { id: 'plan', throttle: { rateLimit: 1, burstLimit: 3 }, methods: {} };
    const limiter = new RequestLimiter(limits({ plans: [plan] }), time.now);
    expect(passing(limiter, tenant('a'), 5)).toBe(3);
    expect(limiter.admit(tenant('a'))).toEqual({ by: 'usage-plan', retryAfterSeconds: 1 });
    expect(passing(limiter, tenant('b'), 5)).toBe(3);
    expect(passing(limiter, GET_ACCOUNT, 5)).toBe(5); // no key: outside the plan
  });

  it('meters a method with its own setting apart from the stage default, which the rest share', () => {
    const limiter = new RequestLimiter(
      limits({
        stage: { rateLimit: 1, burstLimit: 2 },
        methods: { '/webhooks/processor/POST': { rateLimit: 1, burstLimit: 4 } },
      }),
      clock().now,
    );
    expect(passing(limiter, WEBHOOK, 6)).toBe(4);
    expect(limiter.admit(WEBHOOK)?.by).toBe('method');
    expect(passing(limiter, GET_ACCOUNT, 1)).toBe(1); // the webhook flood left the stage alone
    expect(passing(limiter, { method: 'POST', path: '/accounts' }, 3)).toBe(1); // shared with GET
    expect(limiter.admit(GET_ACCOUNT)?.by).toBe('stage');
  });

  it('applies a plan’s per-method throttle of a key and the plan’s throttle of that key, both', () => {
    const plan = {
      id: 'plan',
      throttle: { rateLimit: 1, burstLimit: 4 },
      methods: { '/accounts/{id}/GET': { rateLimit: 1, burstLimit: 2 } },
    };
    const limiter = new RequestLimiter(limits({ plans: [plan] }), clock().now);
    expect(passing(limiter, tenant('a'), 3)).toBe(2);
    expect(limiter.admit(tenant('a'))?.by).toBe('usage-plan-method');
    const post = { method: 'POST', path: '/accounts', key: { id: 'a', planId: 'plan' } };
    expect(passing(limiter, post, 3)).toBe(2);
    expect(limiter.admit(post)?.by).toBe('usage-plan');
  });

  it('names the usage plan first when the key and the stage are both out, and a refusal takes nothing', () => {
    const time = clock();
    const plan = { id: 'plan', throttle: { rateLimit: 1, burstLimit: 1 }, methods: {} };
    const limiter = new RequestLimiter(
      limits({ stage: { rateLimit: 0.5, burstLimit: 2 }, plans: [plan] }),
      time.now,
    );
    expect(passing(limiter, tenant('a'), 1)).toBe(1);
    expect(passing(limiter, tenant('b'), 1)).toBe(1);
    // Both the key's bucket (1 s to a token) and the stage's (2 s) are empty: the plan is named,
    // and Retry-After waits for both.
    expect(limiter.admit(tenant('a'))).toEqual({ by: 'usage-plan', retryAfterSeconds: 2 });
    time.advance(1_000);
    // a's bucket refills while the stage refuses; the refused requests took none of a's token.
    expect(limiter.admit(tenant('a'))).toEqual({ by: 'stage', retryAfterSeconds: 1 });
    expect(limiter.admit(tenant('a'))).toEqual({ by: 'stage', retryAfterSeconds: 1 });
    time.advance(1_000);
    expect(limiter.admit(tenant('a'))).toBeUndefined();
  });
});

describe('the usage plan quota', () => {
  it('counts a day of UTC, with the offset off the first day only, and says when the next begins', () => {
    const time = clock(Date.UTC(2026, 0, 15, 18));
    const plan = { id: 'plan', quota: { limit: 3, offset: 1, period: 'DAY' as const }, methods: {} };
    const limiter = new RequestLimiter(limits({ plans: [plan] }), time.now);
    expect(passing(limiter, tenant('a'), 5)).toBe(2);
    expect(limiter.admit(tenant('a'))).toEqual({ by: 'quota', retryAfterSeconds: 6 * 3600 });
    expect(passing(limiter, tenant('b'), 5)).toBe(2); // per key
    time.set(Date.UTC(2026, 0, 16, 0));
    expect(passing(limiter, tenant('a'), 5)).toBe(3);
  });

  it('is checked after the throttles: a throttled request does not count', () => {
    const time = clock();
    const plan = {
      id: 'plan',
      throttle: { rateLimit: 1, burstLimit: 1 },
      quota: { limit: 2, offset: 0, period: 'MONTH' as const },
      methods: {},
    };
    const limiter = new RequestLimiter(limits({ plans: [plan] }), time.now);
    expect(passing(limiter, tenant('a'), 4)).toBe(1);
    time.advance(1_000);
    expect(passing(limiter, tenant('a'), 1)).toBe(1);
    time.advance(1_000);
    expect(limiter.admit(tenant('a'))?.by).toBe('quota');
  });

  it('has weeks that start on Sunday and months of the calendar, in UTC', () => {
    const wednesday = Date.UTC(2026, 0, 14, 9, 30); // 2026-01-14 is a Wednesday
    expect(quotaPeriod('WEEK', wednesday)).toEqual({
      start: Date.UTC(2026, 0, 11),
      next: Date.UTC(2026, 0, 18),
    });
    expect(quotaPeriod('MONTH', Date.UTC(2026, 0, 31, 23))).toEqual({
      start: Date.UTC(2026, 0, 1),
      next: Date.UTC(2026, 1, 1),
    });
    expect(quotaPeriod('MONTH', Date.UTC(2026, 11, 5))).toEqual({
      start: Date.UTC(2026, 11, 1),
      next: Date.UTC(2027, 0, 1),
    });
    expect(quotaPeriod('DAY', Date.UTC(2026, 1, 28, 23, 59))).toEqual({
      start: Date.UTC(2026, 1, 28),
      next: Date.UTC(2026, 2, 1),
    });
  });

  it('resets a week at Sunday midnight', () => {
    const time = clock(Date.UTC(2026, 0, 17, 23)); // a Saturday
    const plan = { id: 'plan', quota: { limit: 1, offset: 0, period: 'WEEK' as const }, methods: {} };
    const limiter = new RequestLimiter(limits({ plans: [plan] }), time.now);
    expect(passing(limiter, tenant('a'), 2)).toBe(1);
    expect(limiter.admit(tenant('a'))).toEqual({ by: 'quota', retryAfterSeconds: 3600 });
    time.advance(3_600_000);
    expect(passing(limiter, tenant('a'), 2)).toBe(1);
  });
});

describe('the answer', () => {
  it('is API Gateway’s 429 for a throttle, with Retry-After', () => {
    const response = refusalResponse({ by: 'usage-plan', retryAfterSeconds: 3 });
    expect(response.statusCode).toBe(429);
    expect(JSON.parse(String(response.body))).toEqual({ message: 'Too Many Requests' });
    expect(response.headers).toEqual({
      'content-type': 'application/json',
      'x-amzn-errortype': 'TooManyRequestsException',
      'retry-after': '3',
    });
  });

  it('is API Gateway’s 429 for the quota', () => {
    const response = refusalResponse({ by: 'quota', retryAfterSeconds: 60 });
    expect(JSON.parse(String(response.body))).toEqual({ message: 'Limit Exceeded' });
    expect(response.headers['x-amzn-errortype']).toBe('LimitExceededException');
    expect(
      refusalResponse({ by: 'stage', retryAfterSeconds: undefined }).headers['retry-after'],
    ).toBeUndefined();
  });
});

describe('the gateway’s call', () => {
  const api = {
    limits: limits({ plans: [{ id: 'plan', throttle: { rateLimit: 1, burstLimit: 1 }, methods: {} }] }),
    keys: [
      { id: 'k1', value: 'one', planId: 'plan' },
      { id: 'k2', value: 'two', planId: 'plan' },
    ],
  };
  const [one, two] = api.keys;
  const route = { method: 'GET', path: '/accounts/{id}', apiKeyRequired: true };

  it('meters by the key the gateway resolved the request to, only on methods that require a key', () => {
    const limit = gatewayLimiter(api, clock().now, {});
    expect(limit(route, one)).toBeUndefined();
    expect(limit(route, one)?.statusCode).toBe(429);
    expect(limit(route, two)).toBeUndefined();
    const open = { ...route, apiKeyRequired: false };
    expect([limit(open, one), limit(open, one)]).toEqual([undefined, undefined]);
  });

  it('lets everything through when LEDGERLINE_LOCAL_THROTTLE=off', () => {
    const limit = gatewayLimiter(api, clock().now, { LEDGERLINE_LOCAL_THROTTLE: 'off' });
    expect([limit(route, one), limit(route, one), limit(route, one)]).toEqual([
      undefined,
      undefined,
      undefined,
    ]);
    const on = gatewayLimiter(api, clock().now, { LEDGERLINE_LOCAL_THROTTLE: 'on' });
    expect([on(route, one), on(route, one)?.statusCode]).toEqual([undefined, 429]);
  });

  it('lets everything through an API without limits', () => {
    const limit = gatewayLimiter({}, clock().now, {});
    expect(Array.from({ length: 100 }, () => limit(route, undefined)).filter(Boolean)).toEqual([]);
  });
});

describe('the template’s settings', () => {
  it('reads a stage’s MethodSettings as CDK writes them: the default, and a method that inherits', () => {
    expect(
      stageThrottles([
        { ResourcePath: '/*', HttpMethod: '*', ThrottlingRateLimit: 500, ThrottlingBurstLimit: 1000 },
        { ResourcePath: '/~1webhooks~1processor', HttpMethod: 'POST', ThrottlingRateLimit: 20 },
        { ResourcePath: '/~1accounts', HttpMethod: 'GET', LoggingLevel: 'ERROR' },
      ]),
    ).toEqual({
      stage: { rateLimit: 500, burstLimit: 1000 },
      methods: { '/webhooks/processor/POST': { rateLimit: 20, burstLimit: 1000 } },
    });
    expect(stageThrottles(undefined)).toEqual({ methods: {} });
  });

  it('reads a usage plan’s per-method throttles, the root’s as CDK writes it', () => {
    expect(
      planMethodThrottles({
        '/accounts/{id}/GET': { RateLimit: 5, BurstLimit: 10 },
        '//GET': { RateLimit: 1, BurstLimit: 2 },
        '/nothing/POST': {},
      }),
    ).toEqual({
      '/accounts/{id}/GET': { rateLimit: 5, burstLimit: 10 },
      '/GET': { rateLimit: 1, burstLimit: 2 },
    });
    expect(planMethodThrottles(undefined)).toEqual({});
  });

  it('reads usage plan throttles and quotas', () => {
    expect(throttleFromTemplate({ RateLimit: 50, BurstLimit: 100 })).toEqual({
      rateLimit: 50,
      burstLimit: 100,
    });
    expect(throttleFromTemplate({ RateLimit: 5 })).toEqual({ rateLimit: 5, burstLimit: -1 });
    expect(throttleFromTemplate({})).toBeUndefined();
    expect(quotaFromTemplate({ Limit: 100_000, Period: 'DAY' })).toEqual({
      limit: 100_000,
      offset: 0,
      period: 'DAY',
    });
    expect(quotaFromTemplate({ Limit: 10, Offset: 2, Period: 'WEEK' })).toMatchObject({ offset: 2 });
    expect(quotaFromTemplate({ Limit: 10, Period: 'YEAR' })).toBeUndefined();
  });
});
