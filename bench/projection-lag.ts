// Benchmark on the local runtime: append-to-read-model lag at a steady 100 events/s (p50, p99), the
// time to drain a 3× burst held for 10 s, and rebuild throughput. A transfer appends 3 events (its
// own stream and both accounts'), so 100 events/s is 33⅓ transfers/s. Lag = from the transfer's
// `createdAt` (its events' timestamp, taken just before the append) to the moment its transfer-view
// row is readable (BatchGetItem of the 8 oldest pending, strongly consistent, every 20 ms or at
// once while they all turn out visible).
// Prints one JSON line and writes bench/results/projection-lag.json.
// Goals (issue 4): p99 ≤ 1 s at 100 events/s; a 3× burst for 10 s drained within 5 s (drainMs: from
// the last write answered to the last of them visible). `achievedEventsPerSecond` is what the write
// path really sustained.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { BatchGetItemCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SlotTables } from '../lambdas/adapters/dynamodb-read-model-pointer.ts';
import { READ_MODELS, type ReadModelName } from '../lambdas/domain/projections/read-model.ts';
import { rebuild } from '../lambdas/operations/rebuild.ts';
import { apiKeyIdFor, startLocalRuntime } from '../local/runtime.ts';
import { ensureAssembly } from '../local/synth.ts';
import { THROTTLE_SWITCH } from '../local/throttle.ts';
import { percentile } from './support/stats.ts';

const root = join(import.meta.dirname, '..');
const KEY = 'bench-lag-tenant-0123456789';
const TENANT = apiKeyIdFor(KEY);
const EVENTS_PER_TRANSFER = 3;
const STEADY_EVENTS_PER_SECOND = 100;
const STEADY_SECONDS = 20;
const BURST_FACTOR = 3;
const BURST_SECONDS = 10;
const PAIRS = 60;

await ensureAssembly(root, join(root, 'cdk.out'), true);
// One tenant writes at 100 and 300/s, above its usage plan's rate: the bench measures lag, not 429s.
process.env[THROTTLE_SWITCH] ??= 'off';
const runtime = await startLocalRuntime({
  cdkOut: join(root, 'cdk.out'),
  projectRoot: root,
  port: 0,
  apiKeys: [KEY],
  log: () => {},
  functionLog: () => {},
});
const ddb = new DynamoDBClient({
  endpoint: runtime.endpoints.dynamodb,
  region: 'us-east-1',
  credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
});

try {
  const projector = runtime.functions.find((f) => f.env.DAILY_TOTALS_TABLES && f.env.ACCOUNT_VIEW_TABLES);
  if (!projector) throw new Error('no projector function in the template');
  const slots = (name: string): SlotTables => {
    const [blue = '', green = ''] = (projector.env[name] ?? '').split(',');
    return { blue, green };
  };
  const tables: Record<ReadModelName, SlotTables> = {
    'account-view': slots('ACCOUNT_VIEW_TABLES'),
    'account-history': slots('ACCOUNT_HISTORY_TABLES'),
    'transfer-view': slots('TRANSFER_VIEW_TABLES'),
    'daily-totals': slots('DAILY_TOTALS_TABLES'),
    'payment-view': slots('PAYMENT_VIEW_TABLES'),
  };
  const transferView = tables['transfer-view'].blue;

  const api = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${runtime.apiUrl}${path}`, {
      method,
      headers: { 'x-api-key': KEY, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: response.status, json: (await response.json()) as Record<string, unknown> };
  };

  // Setup: pairs of funded accounts, so the timed transfers share no stream (no write conflicts).
  const pairs: [string, string][] = [];
  for (let i = 0; i < PAIRS; i++) {
    const from = String((await api('POST', '/accounts', { currency: 'USD' })).json.id);
    const to = String((await api('POST', '/accounts', { currency: 'USD' })).json.id);
    await api('POST', `/accounts/${from}/deposits`, { amount: 1_000_000, currency: 'USD' });
    pairs.push([from, to]);
  }

  // Lag watcher: transfer ids waiting to appear in the transfer view, with their append time.
  const pending = new Map<string, number>();
  const lags = new Map<string, number>();
  const visibleAt = new Map<string, number>();
  let watching = true;
  const watcher = (async () => {
    while (watching || pending.size > 0) {
      // The oldest few only (the projector works roughly in append order), again at once while they
      // all turn out visible: polling every pending id would load DynamoDB Local as much as the
      // projector does, and skew what is measured.
      const ids = [...pending.keys()].slice(0, 8);
      let allSeen = ids.length > 0;
      if (ids.length > 0) {
        const { Responses } = await ddb.send(
          new BatchGetItemCommand({
            RequestItems: {
              [transferView]: {
                Keys: ids.map((id) => ({ pk: { S: `${TENANT}#${id}` } })),
                ProjectionExpression: 'pk',
                ConsistentRead: true,
              },
            },
          }),
        );
        const now = Date.now();
        const seen = Responses?.[transferView] ?? [];
        allSeen = seen.length === ids.length;
        for (const item of seen) {
          const id = String(item.pk?.S).slice(TENANT.length + 1);
          const appended = pending.get(id);
          if (appended === undefined) continue;
          lags.set(id, now - appended);
          visibleAt.set(id, now);
          pending.delete(id);
        }
      }
      if (!allSeen) await sleep(20);
    }
  })();

  /** Issues transfers open-loop at `eventsPerSecond` for `seconds`; resolves with the ids once all are answered. */
  async function drive(
    eventsPerSecond: number,
    seconds: number,
  ): Promise<{ ids: string[]; failed: number; achievedEventsPerSecond: number }> {
    const transfersPerSecond = eventsPerSecond / EVENTS_PER_TRANSFER;
    const count = Math.round(transfersPerSecond * seconds);
    const start = Date.now();
    const inFlight: Promise<string | null>[] = [];
    for (let i = 0; i < count; i++) {
      const due = start + (i * 1000) / transfersPerSecond;
      if (due > Date.now()) await sleep(due - Date.now());
      const [from, to] = pairs[i % PAIRS] as [string, string];
      inFlight.push(
        api('POST', '/transfers', {
          debitAccountId: from,
          creditAccountId: to,
          amount: 1,
          currency: 'USD',
        }).then(({ status, json }) => {
          if (status !== 201) return null;
          pending.set(String(json.id), Date.parse(String(json.createdAt)));
          return String(json.id);
        }),
      );
    }
    const ids = await Promise.all(inFlight);
    const answered = ids.filter((id): id is string => id !== null);
    // What the write side really sustained: every answer in, over the wall time it took.
    const achievedEventsPerSecond = Math.round(
      (answered.length * EVENTS_PER_TRANSFER * 1000) / (Date.now() - start),
    );
    return { ids: answered, failed: ids.length - answered.length, achievedEventsPerSecond };
  }

  const waitDrained = async (ids: string[], timeoutMs: number) => {
    const deadline = Date.now() + timeoutMs;
    while (ids.some((id) => !visibleAt.has(id)) && Date.now() < deadline) await sleep(10);
    return ids.every((id) => visibleAt.has(id));
  };

  // Warm-up (cold workers), then the steady phase.
  await waitDrained((await drive(STEADY_EVENTS_PER_SECOND, 3)).ids, 30_000);
  const steady = await drive(STEADY_EVENTS_PER_SECOND, STEADY_SECONDS);
  await waitDrained(steady.ids, 30_000);
  const steadyLags = steady.ids.map((id) => lags.get(id) ?? Number.NaN).filter(Number.isFinite);

  // Burst: 3× for 10 s; drain time = from the last answered write to the last row visible.
  const burst = await drive(STEADY_EVENTS_PER_SECOND * BURST_FACTOR, BURST_SECONDS);
  const burstEnd = Date.now();
  const drained = await waitDrained(burst.ids, 60_000);
  const lastVisible = Math.max(...burst.ids.map((id) => visibleAt.get(id) ?? Number.POSITIVE_INFINITY));
  const burstLags = burst.ids.map((id) => lags.get(id) ?? Number.NaN).filter(Number.isFinite);
  watching = false;
  await watcher;

  // Rebuild throughput: each read model replayed from the whole event store into its spare table.
  const rebuilt: Record<string, { events: number; eventsPerSecond: number }> = {};
  for (const model of READ_MODELS) {
    const report = await rebuild({
      dynamodb: ddb,
      eventsTable: projector.env.EVENTS_TABLE_NAME ?? '',
      model,
      tables: tables[model],
      pointersTable: projector.env.READ_MODEL_POINTERS_TABLE ?? '',
      ratePerSecond: 1_000_000,
      settleMs: 0,
    });
    rebuilt[model] = { events: report.replayed, eventsPerSecond: report.eventsPerSecond };
  }

  const result = {
    bench: 'projection-lag',
    target: 'local runtime (DynamoDB Local, projector in a worker thread)',
    steady: {
      eventsPerSecond: STEADY_EVENTS_PER_SECOND,
      seconds: STEADY_SECONDS,
      transfers: steady.ids.length,
      rejected: steady.failed,
      achievedEventsPerSecond: steady.achievedEventsPerSecond,
      lagMs: {
        p50: percentile(steadyLags, 50),
        p99: percentile(steadyLags, 99),
        max: Math.max(...steadyLags),
      },
    },
    burst: {
      eventsPerSecond: STEADY_EVENTS_PER_SECOND * BURST_FACTOR,
      seconds: BURST_SECONDS,
      transfers: burst.ids.length,
      rejected: burst.failed,
      achievedEventsPerSecond: burst.achievedEventsPerSecond,
      drained,
      drainMs: drained ? Math.max(0, lastVisible - burstEnd) : null,
      lagMs: { p50: percentile(burstLags, 50), p99: percentile(burstLags, 99) },
    },
    rebuild: rebuilt,
    goals: {
      // On a small machine the write path itself may not sustain the burst rate: then the burst
      // was longer and lower than asked, and this says so.
      burstWrittenAtFullRate: burst.achievedEventsPerSecond >= 0.9 * STEADY_EVENTS_PER_SECOND * BURST_FACTOR,
      steadyP99UnderOneSecond: percentile(steadyLags, 99) <= 1_000,
      burstDrainedWithinFiveSeconds: drained && lastVisible - burstEnd <= 5_000,
    },
  };
  const line = JSON.stringify(result);
  console.log(line);
  mkdirSync(join(root, 'bench', 'results'), { recursive: true });
  writeFileSync(join(root, 'bench', 'results', 'projection-lag.json'), `${line}\n`);
} finally {
  ddb.destroy();
  await runtime.stop();
}
