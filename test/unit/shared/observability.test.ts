// Business metrics (from the EMF lines), the traced SDK clients, and where each measure is emitted.

import { execFileSync } from 'node:child_process';
import { Tracer } from '@aws-lambda-powertools/tracer';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SQSRecord } from 'aws-lambda';
import { describe, expect, it, vi } from 'vitest';
import { tracedClient } from '../../../lambdas/composition/container.ts';
import { conflictRetry } from '../../../lambdas/composition/ledger.ts';
import type { DeliveryPorts } from '../../../lambdas/composition/workers.ts';
import { ConcurrencyConflictError } from '../../../lambdas/domain/errors.ts';
import type { StoredEvent } from '../../../lambdas/domain/events.ts';
import { recordBusinessMetrics } from '../../../lambdas/handlers/projectors/business-metrics.ts';
import { countingAbsorbedFaults } from '../../../lambdas/handlers/workers/absorbed-faults.ts';
import { CORRELATION_HEADER, deliver } from '../../../lambdas/handlers/workers/deliver-notification.ts';
import { BUSINESS_METRICS, emfMetrics } from '../../../lambdas/shared/metrics.ts';
import { SETTLED_NOTIFICATION } from '../handlers/correlation-fixtures.ts';

type Line = Record<string, unknown> & {
  _aws: { CloudWatchMetrics: { Dimensions: string[][]; Metrics: { Name: string; Unit: string }[] }[] };
};

/** A metrics sink that keeps the EMF documents it is given. */
function capture() {
  const lines: Line[] = [];
  const metrics = emfMetrics(
    (line) => lines.push(JSON.parse(line) as Line),
    () => 1_000,
  );
  /** Each point as `name=value[dimension=value…]`. */
  const points = () =>
    lines.map((line) => {
      const [directive] = line._aws.CloudWatchMetrics;
      const name = directive?.Metrics[0]?.Name ?? '';
      const dims = (directive?.Dimensions[0] ?? []).map((d) => `[${d}=${String(line[d])}]`).join('');
      return `${name}=${String(line[name])}${dims}`;
    });
  return { lines, metrics, points };
}

let version = 0;
function stored(
  stream: StoredEvent['stream'],
  event: { readonly type: string; readonly payload: object },
  occurredAt = '1970-01-01T00:00:00.400Z',
): StoredEvent {
  version += 1;
  return {
    ...event,
    stream,
    version,
    eventId: `evt_${version}`,
    schemaVersion: 1,
    occurredAt,
    tenantId: stream.tenantId,
    correlationId: 'c',
    causationId: 'c',
    actor: 'test',
  } as unknown as StoredEvent;
}
const legs = { transferId: 'tr_1', debitAccountId: 'a', creditAccountId: 'b' };
const transfer = { type: 'transfer', tenantId: 't', id: 'tr_1' } as const;
const account = { type: 'account', tenantId: 't', id: 'a' } as const;
const payment = { type: 'payment', tenantId: 't', id: 'pay_1' } as const;
const posted = (amount: number, currency: string) => ({
  type: 'TransferPosted',
  payload: { ...legs, currency, amount, purpose: 'transfer', reference: null },
});

describe('the projector’s business measures', () => {
  it('counts transfers posted on their own stream and sums the amount per currency', () => {
    const { metrics, points } = capture();
    recordBusinessMetrics(
      [
        stored(transfer, posted(500, 'EUR')),
        // The same transfer's leg on an account stream: not a second transfer.
        stored(account, posted(500, 'EUR')),
        stored(transfer, posted(250, 'EUR')),
        stored(transfer, {
          type: 'PendingTransferPosted',
          payload: { ...legs, currency: 'JPY', pendingAmount: 90, amount: 70 },
        }),
      ] as StoredEvent[],
      new Map(),
      metrics,
      1_000,
    );
    expect(points()).toEqual([
      'TransfersPosted=1',
      'TransfersPosted=1',
      'TransfersPosted=1',
      'AmountPosted=750[Currency=EUR]',
      'AmountPosted=70[Currency=JPY]',
      'ProjectorLagMs=600',
    ]);
  });

  it('counts payments settled, failed, compensated, and each compensation that ran', () => {
    const { metrics, points } = capture();
    const failed = (compensations: string[]) => ({
      type: 'PaymentFailed',
      payload: { paymentId: 'pay_1', reason: 'x', failedStep: 'CaptureAtProcessor', compensations },
    });
    recordBusinessMetrics(
      [
        stored(payment, {
          type: 'PaymentSettled',
          payload: { paymentId: 'p', merchantAmount: 1, fee: 0, transferIds: [] },
        }),
        stored(payment, failed([])),
        stored(payment, { type: 'ReservationVoided', payload: { paymentId: 'p', transferId: null } }),
        stored(payment, {
          type: 'CaptureRefunded',
          payload: { paymentId: 'p', processorRefundId: null, outcome: 'refunded' },
        }),
        stored(payment, failed(['RefundAtProcessor', 'VoidReservation'])),
      ] as StoredEvent[],
      new Map(),
      metrics,
      1_000,
    );
    expect(points().filter((p) => !p.startsWith('ProjectorLag'))).toEqual([
      'PaymentsSettled=1',
      'PaymentsFailed=1',
      'CompensationsRun=1',
      'CompensationsRun=1',
      'PaymentsFailed=1',
      'PaymentsCompensated=1',
    ]);
  });

  it('leaves out what did not project (counted on its retry)', () => {
    const { metrics, points } = capture();
    const first = stored(transfer, posted(5, 'USD'));
    const second = stored(transfer, posted(6, 'USD'));
    recordBusinessMetrics(
      [first, second] as StoredEvent[],
      new Map([['transfer#t#tr_1', { version: second.version }]]),
      metrics,
      1_000,
    );
    expect(points()).toEqual(['TransfersPosted=1', 'AmountPosted=5[Currency=USD]', 'ProjectorLagMs=600']);
  });
});

describe('metrics where the work happens', () => {
  it('counts each conflict retry, with the streams that moved on the line', async () => {
    const { metrics, lines, points } = capture();
    const retry = conflictRetry(3, metrics);
    await retry.wait(2, 0, new ConcurrencyConflictError(['account#t#a']));
    expect(points()).toEqual(['ConflictsRetried=1']);
    expect(lines[0]).toMatchObject({ streams: ['account#t#a'], attempt: 2 });
  });

  it('counts a queue record that succeeded on a redelivery as a fault absorbed, and not a first delivery', async () => {
    const { metrics, points } = capture();
    const record = (count: string) =>
      ({ messageId: 'm', attributes: { ApproximateReceiveCount: count } }) as SQSRecord;
    expect(await countingAbsorbedFaults(metrics, record('1'), async () => 'first')).toBe('first');
    expect(points()).toEqual([]);
    await countingAbsorbedFaults(metrics, record('3'), async () => 'third');
    expect(points()).toEqual(['FaultsAbsorbed=1']);
    await expect(
      countingAbsorbedFaults(metrics, record('4'), () => Promise.reject(new Error('no'))),
    ).rejects.toThrow();
    expect(points()).toHaveLength(1);
  });

  it('counts webhook deliveries by outcome, and sends the correlation id as a header', async () => {
    const { metrics, points } = capture();
    const sent: Headers[] = [];
    const statuses = [200, 500];
    const notification = SETTLED_NOTIFICATION;
    const ports: DeliveryPorts = {
      endpoints: {
        getForDelivery: async (_t: string, merchant: string) =>
          merchant === 'acct_m'
            ? { url: 'https://merchant.example/hooks', signingSecret: 'whsec_x' }
            : undefined,
      } as unknown as DeliveryPorts['endpoints'],
      log: { record: async () => {} } as unknown as DeliveryPorts['log'],
      fetch: (async (_url: string, init: RequestInit) => {
        sent.push(new Headers(init.headers));
        return new Response(null, { status: statuses.shift() ?? 200 });
      }) as typeof fetch,
      now: () => new Date(0),
      allowLoopbackHttp: false,
      timeoutMs: 1_000,
      resolvesInternally: async () => false,
      metrics,
    };
    await deliver(ports, { notification, attempt: 1, correlationId: 'corr-1' });
    await expect(deliver(ports, { notification, attempt: 2 })).rejects.toThrow();
    await deliver(ports, { notification: { ...notification, merchantAccountId: 'acct_none' }, attempt: 1 });
    expect(points()).toEqual([
      'WebhookDeliveries=1[Outcome=delivered]',
      'WebhookDeliveries=1[Outcome=failed]',
      'WebhookDeliveries=1[Outcome=skipped]',
    ]);
    expect(sent[0]?.get(CORRELATION_HEADER)).toBe('corr-1');
    expect(sent[1]?.has(CORRELATION_HEADER)).toBe(false);
  });
});

describe('traced clients', () => {
  const stack = (client: DynamoDBClient) => client.middlewareStack.identify().join('\n');

  it('carry the X-Ray middleware when tracing is on, and nothing when it is off (locally)', () => {
    // Tracer reads its environment when built: as on Lambda, then as the local runtime sets it.
    vi.stubEnv('AWS_EXECUTION_ENV', 'AWS_Lambda_nodejs24.x');
    expect(stack(tracedClient(new DynamoDBClient({}), new Tracer()))).toMatch(/xray/i);
    vi.stubEnv('POWERTOOLS_TRACE_ENABLED', 'false');
    const off = stack(tracedClient(new DynamoDBClient({}), new Tracer()));
    vi.unstubAllEnvs();
    expect(off).not.toMatch(/xray/i);
    // Either way the SDK's logging step is gone.
    expect(off).not.toContain('loggerMiddleware');
    const none = stack(tracedClient(new DynamoDBClient({}), undefined));
    expect(none).not.toMatch(/xray/i);
    expect(none).not.toContain('loggerMiddleware');
  });

  it('do not load the X-Ray SDK at all where tracing is off, so no async hook runs on every promise', () => {
    // A fresh process each, as a Lambda container starts: cls-hooked (the SDK's context) names its namespaces
    // on `process.namespaces` once the SDK's Lambda start-up has enabled its async hooks.
    const tracing = new URL('../../../lambdas/shared/tracing.ts', import.meta.url).href;
    const namespaces = (enabled: string) =>
      execFileSync(
        process.execPath,
        [
          '--input-type=module',
          '-e',
          `const { tracer } = await import(${JSON.stringify(tracing)});
           console.log(JSON.stringify({ tracer: tracer !== undefined, namespaces: Object.keys(process.namespaces ?? {}) }));`,
        ],
        {
          encoding: 'utf8',
          env: {
            PATH: process.env.PATH,
            AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x',
            LAMBDA_TASK_ROOT: '/var/task',
            AWS_REGION: 'us-east-1',
            AWS_XRAY_CONTEXT_MISSING: 'IGNORE_ERROR',
            POWERTOOLS_TRACE_ENABLED: enabled,
          },
        },
      ).trim();
    expect(JSON.parse(namespaces('true'))).toEqual({ tracer: true, namespaces: ['AWSXRay'] });
    expect(JSON.parse(namespaces('false'))).toEqual({ tracer: false, namespaces: [] });
  });
});

it('names each business measure once', () => {
  const names = Object.values(BUSINESS_METRICS);
  expect(new Set(names).size).toBe(names.length);
});
