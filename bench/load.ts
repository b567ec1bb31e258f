// Load benchmark on the local runtime (issue 10, item 4). Every scenario runs in ONE run against ONE stack,
// so the ratios compare like with like:
//   - transfers between independent account pairs at 1 and 16 concurrent clients;
//   - deposits from 16 clients into 16 different accounts (all of them write `settlement-USD` today), and
//     withdrawals from 16 clients out of 16 different accounts (the same system account, debited);
//   - payments to one merchant at 1 and 20 in flight, POST /payments → `settled` in GET /payments/{id};
//   - raw 3-item TransactWriteItems (conditional puts, a transfer append's shape) at 16 clients on the
//     runtime's own DynamoDB Local: the ceiling;
// with 409s seen by clients, p50/p99, and CPU per operation: the machine's (all cores, /proc/stat; the
// machine may be shared) and the stack's (this process with the runtime's worker threads, plus java).
// Clients are closed loops that do not retry a 409 (it is counted). Every loop is bounded in count and time.
// Usage: npm exec -- node bench/load.ts [--quick] [--baseline bench/results/load-baseline.json]. Progress on stderr, one JSON line on stdout, a copy in
// bench/results/load.json.
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { DynamoDBClient, TransactWriteItemsCommand } from '@aws-sdk/client-dynamodb';
import { createEventsTable } from '../test/support/dynamodb-local.ts';
import { type CpuSample, startCpu } from './support/cpu.ts';
import { cpuAgainstBaseline, type LoadBaseline, readBaselineText } from './support/load-baseline.ts';
import { startBenchRuntime } from './support/load-runtime.ts';
import { emitResult, progress } from './support/output.ts';
import { latencySummary, ratio, round } from './support/stats.ts';

const QUICK = process.argv.includes('--quick');
/** `--baseline <file>`: an earlier result of this bench; CPU per transfer is then also printed as a fraction of it. */
const BASELINE_FILE = process.argv[process.argv.indexOf('--baseline') + 1];
const BASELINE =
  process.argv.includes('--baseline') && BASELINE_FILE ? readBaseline(BASELINE_FILE) : undefined;
const KEY = 'bench-load-tenant-0123456789abcdef';
const CLIENTS = 16;
const PAYMENTS_IN_FLIGHT = 20;
/** The risk rules allow 20 payments per payer per 10 minutes: spread the payments over enough payers. */
const PAYERS = QUICK ? 24 : 48;
const REQUEST_TIMEOUT_MS = 30_000;
/** Before each scenario, wait at most this long for the stack to go quiet. */
const SETTLE_MAX_MS = QUICK ? 3_000 : 10_000;

/** Per scenario: stop starting operations after `ms` or `ops`, whichever comes first. */
const BUDGET = QUICK
  ? {
      transfers1: { ms: 3_000, ops: 200 },
      transfers16: { ms: 4_000, ops: 1_000 },
      deposits16: { ms: 4_000, ops: 1_000 },
      withdrawals16: { ms: 4_000, ops: 1_000 },
      raw16: { ms: 3_000, ops: 20_000 },
      payments1: { ms: 4_000, ops: 20, drainMs: 20_000 },
      payments20: { ms: 500, ops: 20, drainMs: 40_000 },
    }
  : {
      transfers1: { ms: 12_000, ops: 1_000 },
      transfers16: { ms: 15_000, ops: 5_000 },
      deposits16: { ms: 15_000, ops: 5_000 },
      withdrawals16: { ms: 15_000, ops: 5_000 },
      raw16: { ms: 10_000, ops: 100_000 },
      payments1: { ms: 15_000, ops: 100, drainMs: 30_000 },
      payments20: { ms: 35_000, ops: 400, drainMs: 60_000 },
    };

function readBaseline(file: string): LoadBaseline {
  return readBaselineText(readFileSync(file, 'utf8'));
}

interface Outcome {
  readonly ok: boolean;
  readonly status: number;
  readonly ms: number;
}

interface ScenarioReport {
  readonly clients: number;
  readonly attempted: number;
  readonly succeeded: number;
  readonly conflicts409: number;
  /** Other failures by HTTP status (or `timeout`, `failed`). */
  readonly errors: Record<string, number>;
  readonly seconds: number | null;
  readonly perSecond: number | null;
  readonly latencyMs: ReturnType<typeof latencySummary>;
  readonly cpu: {
    readonly machineMsPerOp: number | null;
    readonly stackMsPerOp: number | null;
    readonly machineBusy: number | null;
  };
}

/**
 * Why payments at 20 in flight cannot settle faster: the most every core could settle at the machine CPU a payment
 * cost at 20 in flight, the rate that 4× one in flight asks for, and the CPU per payment that rate allows.
 */
function paymentsCpuBound(cpus: number, at1: ScenarioReport, at20: ScenarioReport) {
  const cpuMs = at20.cpu.machineMsPerOp;
  const wanted = (at1.perSecond ?? Number.NaN) * 4;
  return {
    machineMsPerPaymentAt20: cpuMs,
    mostPerSecondOnAllCores: round(cpuMs ? (cpus * 1000) / cpuMs : Number.NaN),
    perSecondFor4x: round(wanted),
    machineMsPerPaymentFor4x: round((cpus * 1000) / wanted),
  };
}

/**
 * Waits until the stack is quiet (its CPU under a quarter of a core over 500 ms: the projector has caught up with
 * the previous scenario's events), at most `maxMs`; so no scenario pays for the one before. Returns the ms waited.
 */
async function settle(pids: readonly number[], maxMs: number): Promise<number> {
  const t0 = performance.now();
  while (performance.now() - t0 < maxMs) {
    const stop = startCpu(pids);
    await new Promise((r) => setTimeout(r, 500));
    if (stop().stackMs < 125) break;
  }
  return Math.round(performance.now() - t0);
}

/** Runs `clients` closed loops of `op` until the budget is spent; latencies of the successful ones. */
async function closedLoop(
  name: string,
  clients: number,
  budget: { ms: number; ops: number },
  pids: readonly number[],
  op: (client: number, n: number) => Promise<Outcome>,
): Promise<ScenarioReport & { settledBeforeMs: number }> {
  const settledMs = await settle(pids, SETTLE_MAX_MS);
  progress(
    `${name}: ${clients} client(s), up to ${budget.ops} ops / ${budget.ms} ms (stack quiet after ${settledMs} ms)`,
  );
  const outcomes: Outcome[] = [];
  let started = 0;
  const stopCpu = startCpu(pids);
  const t0 = performance.now();
  const deadline = t0 + budget.ms;
  await Promise.all(
    Array.from({ length: clients }, async (_, client) => {
      while (started < budget.ops && performance.now() < deadline) {
        const n = started++;
        outcomes.push(await op(client, n));
      }
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  const report = { ...summarize(clients, outcomes, seconds, stopCpu()), settledBeforeMs: settledMs };
  progress(`${name}: ${report.succeeded} ok, ${report.conflicts409} × 409, ${report.perSecond}/s`);
  return report;
}

function summarize(
  clients: number,
  outcomes: readonly Outcome[],
  seconds: number,
  cpu: CpuSample,
): ScenarioReport {
  const ok = outcomes.filter((o) => o.ok);
  const errors: Record<string, number> = {};
  for (const o of outcomes) {
    if (o.ok || o.status === 409) continue;
    const key = o.status === 0 ? 'timeout' : o.status < 0 ? 'failed' : String(o.status);
    errors[key] = (errors[key] ?? 0) + 1;
  }
  const perOp = (ms: number | null) => (ms === null || ok.length === 0 ? null : round(ms / ok.length));
  return {
    clients,
    attempted: outcomes.length,
    succeeded: ok.length,
    conflicts409: outcomes.filter((o) => o.status === 409).length,
    errors,
    seconds: round(seconds, 2),
    perSecond: seconds > 0 ? round(ok.length / seconds) : null,
    latencyMs: latencySummary(ok.map((o) => o.ms)),
    // Per operation that succeeded: the CPU that rejected ones burnt is part of the price of those that landed.
    cpu: {
      machineMsPerOp: perOp(cpu.machineMs),
      stackMsPerOp: perOp(cpu.stackMs),
      machineBusy: round(cpu.machineBusy ?? Number.NaN, 2),
    },
  };
}

progress(`load bench${QUICK ? ' (--quick)' : ''}: synthesizing if needed, starting the local runtime`);
const runtime = await startBenchRuntime(KEY);
const endpoint = runtime.endpoints.dynamodb;
if (!endpoint) throw new Error('the stack has no DynamoDB tables');
const ddb = new DynamoDBClient({
  endpoint,
  region: 'us-east-1',
  credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
});
const pids = runtime.childPids;

async function call(
  method: string,
  route: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; json: Record<string, unknown> }> {
  try {
    const response = await fetch(`${runtime.apiUrl}${route}`, {
      method,
      headers: { 'x-api-key': KEY, 'content-type': 'application/json', ...headers },
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    let json: Record<string, unknown> = {};
    try {
      json = text ? (JSON.parse(text) as Record<string, unknown>) : {};
    } catch {
      // a non-JSON body (a 502 from the gateway, say): the status says enough
    }
    return { status: response.status, json };
  } catch (error) {
    return { status: (error as Error).name === 'TimeoutError' ? 0 : -1, json: {} };
  }
}

async function timed(request: () => Promise<{ status: number }>, okStatus: number): Promise<Outcome> {
  const t = performance.now();
  const { status } = await request();
  return { ok: status === okStatus, status, ms: performance.now() - t };
}

async function openAccount(kind?: string): Promise<string> {
  const { status, json } = await call('POST', '/accounts', { currency: 'USD', ...(kind ? { kind } : {}) });
  if (status !== 201) throw new Error(`POST /accounts answered ${status}: ${JSON.stringify(json)}`);
  return String(json.id);
}

async function fund(id: string, amount: number): Promise<void> {
  // Setup must not fail on a 409 (deposits race on settlement-USD today): retry a few times.
  for (let attempt = 0; attempt < 20; attempt++) {
    const { status } = await call('POST', `/accounts/${id}/deposits`, { amount, currency: 'USD' });
    if (status === 201) return;
    await new Promise((r) => setTimeout(r, 50 + Math.random() * 200));
  }
  throw new Error(`could not fund ${id}`);
}

const transfer = (from: string, to: string) => () =>
  call('POST', '/transfers', { debitAccountId: from, creditAccountId: to, amount: 1, currency: 'USD' });
const deposit = (to: string) => () =>
  call('POST', `/accounts/${to}/deposits`, { amount: 1, currency: 'USD' });
const withdrawal = (from: string) => () =>
  call('POST', `/accounts/${from}/withdrawals`, { amount: 1, currency: 'USD' });

try {
  // Setup: 16 funded pairs (no stream shared between pairs), one merchant, payers for the payments.
  const t0 = performance.now();
  const pairs = await Promise.all(
    Array.from({ length: CLIENTS }, async () => [await openAccount(), await openAccount()] as const),
  );
  const merchant = await openAccount('merchant');
  const payers = await Promise.all(Array.from({ length: PAYERS }, () => openAccount()));
  // Funding is done a few at a time: it is also the deposit functions' warm-up.
  for (let i = 0; i < pairs.length; i += 4) {
    await Promise.all(pairs.slice(i, i + 4).map(([from]) => fund(from, 10_000_000)));
  }
  for (let i = 0; i < payers.length; i += 4) {
    await Promise.all(payers.slice(i, i + 4).map((id) => fund(id, 10_000_000)));
  }
  // Warm the transfer function's workers at the concurrency measured below.
  await Promise.all(pairs.map(([from, to]) => transfer(from, to)()));
  progress(
    `setup: ${CLIENTS} pairs, ${PAYERS} payers, 1 merchant in ${Math.round(performance.now() - t0)} ms`,
  );

  const rawTable = 'bench-raw-transact';
  // The events table's shape (pk + version, stream NEW_IMAGE), on the runtime's DynamoDB Local.
  await createEventsTable(ddb, rawTable);

  let payerTurn = 0;
  /** One payment: POST /payments, then poll GET /payments/{id} until settled (or failed, or the deadline). */
  const pay = async (pollMs: number, deadlineMs: number): Promise<Outcome> => {
    const t = performance.now();
    const payer = payers[payerTurn++ % payers.length] as string;
    const created = await call(
      'POST',
      '/payments',
      {
        payerAccountId: payer,
        merchantAccountId: merchant,
        amount: 1_000,
        currency: 'USD',
        paymentMethod: 'pm_card_visa',
      },
      { 'Idempotency-Key': `load-${process.pid}-${payerTurn}-${Date.now()}` },
    );
    if (created.status !== 202) return { ok: false, status: created.status, ms: performance.now() - t };
    const id = String(created.json.id);
    const end = t + deadlineMs;
    while (performance.now() < end) {
      await new Promise((r) => setTimeout(r, pollMs));
      const view = await call('GET', `/payments/${id}`);
      if (view.json.status === 'settled') return { ok: true, status: 200, ms: performance.now() - t };
      if (view.json.status === 'failed') return { ok: false, status: -1, ms: performance.now() - t };
    }
    return { ok: false, status: 0, ms: performance.now() - t };
  };
  // Warm the saga's functions with one payment.
  const warm = await pay(50, 60_000);
  if (!warm.ok) throw new Error(`the warm-up payment did not settle (status ${warm.status})`);

  const transfers1 = await closedLoop('transfers@1', 1, BUDGET.transfers1, pids, () => {
    const [from, to] = pairs[0] as readonly [string, string];
    return timed(transfer(from, to), 201);
  });
  const transfers16 = await closedLoop('transfers@16', CLIENTS, BUDGET.transfers16, pids, (client) => {
    const [from, to] = pairs[client] as readonly [string, string];
    return timed(transfer(from, to), 201);
  });
  const deposits16 = await closedLoop('deposits@16', CLIENTS, BUDGET.deposits16, pids, (client) => {
    const [, to] = pairs[client] as readonly [string, string];
    return timed(deposit(to), 201);
  });
  const withdrawals16 = await closedLoop('withdrawals@16', CLIENTS, BUDGET.withdrawals16, pids, (client) => {
    const [from] = pairs[client] as readonly [string, string];
    return timed(withdrawal(from), 201);
  });

  // The ceiling: what DynamoDB Local itself does with a transfer append's shape (a fresh transfer stream at
  // version 1 and two account streams at their next version, conditional puts of event-sized items).
  const versions = new Map<number, number>();
  const eventItem = (pk: string, version: number, n: number) => ({
    pk: { S: pk },
    version: { N: String(version) },
    eventId: { S: `01JBENCH${String(n).padStart(18, '0')}` },
    type: { S: 'TransferCreated' },
    schemaVersion: { N: '1' },
    occurredAt: { S: new Date().toISOString() },
    tenantId: { S: 'bench-raw' },
    correlationId: { S: `corr-${n}` },
    causationId: { S: `corr-${n}` },
    actor: { S: 'bench' },
    payload: {
      S: JSON.stringify({ transferId: `t-${n}`, amount: 1, currency: 'USD', debit: 'a', credit: 'b' }),
    },
  });
  const raw16 = await closedLoop('raw TransactWriteItems@16', CLIENTS, BUDGET.raw16, pids, (client, n) =>
    timed(async () => {
      const version = (versions.get(client) ?? 0) + 1;
      versions.set(client, version);
      const put = (pk: string, v: number) => ({
        Put: {
          TableName: rawTable,
          Item: eventItem(pk, v, n),
          ConditionExpression: 'attribute_not_exists(version)',
        },
      });
      try {
        await ddb.send(
          new TransactWriteItemsCommand({
            TransactItems: [
              put(`transfer#raw#${n}`, 1),
              put(`account#raw#${client}-a`, version),
              put(`account#raw#${client}-b`, version),
            ],
          }),
        );
        return { status: 200 };
      } catch {
        return { status: -1 };
      }
    }, 200),
  );

  // Payments: polling costs the stack too, so poll less often when many are in flight.
  const payments1 = await closedLoop('payments@1', 1, BUDGET.payments1, pids, () =>
    pay(50, BUDGET.payments1.drainMs),
  );
  // Warm the saga's functions at the concurrency measured below, as the transfers are warmed: on Lambda each
  // new execution environment starts on its own capacity, here every cold start takes the stack's two cores.
  const warm20 = await Promise.all(Array.from({ length: PAYMENTS_IN_FLIGHT }, () => pay(500, 120_000)));
  progress(`payments warm-up: ${warm20.filter((o) => o.ok).length} of ${PAYMENTS_IN_FLIGHT} settled`);
  const payments20 = await closedLoop('payments@20', PAYMENTS_IN_FLIGHT, BUDGET.payments20, pids, () =>
    pay(500, BUDGET.payments20.drainMs),
  );

  const cpus = availableParallelism();
  const result = {
    bench: 'load',
    quick: QUICK,
    target:
      'local runtime (API Gateway emulation, Lambda worker threads, DynamoDB Local, Step Functions emulation)',
    machine: {
      cpus,
      note: 'shared machine: machine CPU counts every process on it',
    },
    scenarios: {
      transfers: { at1: transfers1, at16: transfers16 },
      deposits: { at16: deposits16 },
      withdrawals: { at16: withdrawals16 },
      payments: {
        merchant: 'one merchant',
        pollMs: { at1: 50, at20: 500 },
        at1: payments1,
        at20: payments20,
      },
      rawTransactWriteItems: { items: 3, at16: raw16 },
    },
    conflicts409: {
      transfers1: transfers1.conflicts409,
      transfers16: transfers16.conflicts409,
      deposits16: deposits16.conflicts409,
      withdrawals16: withdrawals16.conflicts409,
      payments1: payments1.conflicts409,
      payments20: payments20.conflicts409,
    },
    cpuMsPerTransfer: {
      machineAt1: transfers1.cpu.machineMsPerOp,
      machineAt16: transfers16.cpu.machineMsPerOp,
      stackAt1: transfers1.cpu.stackMsPerOp,
      stackAt16: transfers16.cpu.stackMsPerOp,
      rawTransactMachineAt16: raw16.cpu.machineMsPerOp,
      ...(BASELINE ? { againstBaseline: cpuAgainstBaseline(BASELINE, transfers16.cpu) } : {}),
    },
    // Payments are CPU-bound: the most that every core of the machine could settle at the CPU a payment
    // costs at 20 in flight, against the rate 4× one-in-flight asks for, and the CPU a payment may cost for it.
    paymentsCpuBound: paymentsCpuBound(cpus, payments1, payments20),
    ratios: {
      transfers16OverRaw16: ratio(transfers16.perSecond, raw16.perSecond),
      deposits16OverTransfers16: ratio(deposits16.perSecond, transfers16.perSecond),
      withdrawals16OverTransfers16: ratio(withdrawals16.perSecond, transfers16.perSecond),
      payments20OverPayments1: ratio(payments20.perSecond, payments1.perSecond),
      transfers16OverTransfers1: ratio(transfers16.perSecond, transfers1.perSecond),
    },
    goals: {
      transfers16AtLeastQuarterOfRaw: (ratio(transfers16.perSecond, raw16.perSecond) ?? 0) >= 0.25,
      transfers16P99UnderOneSecond: (transfers16.latencyMs.p99 ?? Number.POSITIVE_INFINITY) <= 1_000,
      deposits16AtLeast08OfTransfers16: (ratio(deposits16.perSecond, transfers16.perSecond) ?? 0) >= 0.8,
      no409s: [transfers16, deposits16, withdrawals16, payments1, payments20].every(
        (s) => s.conflicts409 === 0,
      ),
      payments20AtLeast4xPayments1: (ratio(payments20.perSecond, payments1.perSecond) ?? 0) >= 4,
      payments20P99Under10s: (payments20.latencyMs.p99 ?? Number.POSITIVE_INFINITY) <= 10_000,
    },
  };
  emitResult('load', result);
} finally {
  ddb.destroy();
  await runtime.stop();
}
