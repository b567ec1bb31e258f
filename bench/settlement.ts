// Benchmark: payment settlement on the local runtime. State transitions of a successful settlement
// (read from the ASL: states entered on the happy path), end-to-end latency from POST /payments to
// the payment view showing `settled` (p50, p99), and payments/s for 200 payments across 20 payers.
// Prints one JSON line and writes bench/results/settlement.json. Goals: transitions ≤ 12.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PAYMENT_SAGA_DEFINITION } from '../lib/payment-saga.ts';
import { startLocalRuntime } from '../local/runtime.ts';
import { ensureAssembly } from '../local/synth.ts';
import { happyPath, type StateMachineJson } from '../scripts/asl-paths.ts';
import { percentile } from './support/stats.ts';

const root = join(import.meta.dirname, '..');
const KEY = 'bench-settlement-0123456789abcdef';
const PAYMENTS = Number(process.env.BENCH_PAYMENTS ?? 200);
const PAYERS = Number(process.env.BENCH_PAYERS ?? 20);
/** Payments in flight at once (the client side's concurrency). */
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 20);

const asl = JSON.parse(readFileSync(join(root, PAYMENT_SAGA_DEFINITION), 'utf8')) as StateMachineJson;
const path = happyPath(asl);

await ensureAssembly(root, join(root, 'cdk.out'), true);
const runtime = await startLocalRuntime({
  cdkOut: join(root, 'cdk.out'),
  projectRoot: root,
  port: 0,
  apiKeys: [KEY],
  log: () => {},
  functionLog: () => {},
});

async function call(method: string, route: string, body?: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(`${runtime.apiUrl}${route}`, {
    method,
    headers: { 'x-api-key': KEY, 'content-type': 'application/json', ...headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, json: (text ? JSON.parse(text) : {}) as Record<string, unknown> };
}

try {
  const merchant = String((await call('POST', '/accounts', { currency: 'USD', kind: 'merchant' })).json.id);
  const payers: string[] = [];
  for (let i = 0; i < PAYERS; i++) {
    const id = String((await call('POST', '/accounts', { currency: 'USD' })).json.id);
    await call('POST', `/accounts/${id}/deposits`, { amount: 10_000_000, currency: 'USD' });
    payers.push(id);
  }

  /** One payment, POST to `settled` in the payment view; its latency in ms. */
  const settle = async (n: number): Promise<number> => {
    const started = performance.now();
    const created = await call(
      'POST',
      '/payments',
      {
        payerAccountId: payers[(n + PAYERS) % PAYERS],
        merchantAccountId: merchant,
        amount: 1_000 + n,
        currency: 'USD',
        paymentMethod: 'pm_card_visa',
      },
      { 'Idempotency-Key': `bench-${n}-${Date.now()}` },
    );
    if (created.status !== 202) throw new Error(`POST /payments answered ${created.status}`);
    const deadline = started + 120_000;
    for (;;) {
      const view = await call('GET', `/payments/${String(created.json.id)}`);
      if (view.json.status === 'settled') return performance.now() - started;
      if (view.json.status === 'failed')
        throw new Error(`payment ${n} failed: ${JSON.stringify(view.json.failure)}`);
      if (performance.now() > deadline) throw new Error(`payment ${n} not settled within 120 s`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  };

  // Warm every function once (cold starts are the local-startup bench's business).
  await settle(-1);

  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < PAYMENTS) {
        const n = next++;
        latencies.push(await settle(n));
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const result = {
    bench: 'settlement',
    stateTransitions: path.length,
    happyPath: path,
    payments: PAYMENTS,
    payers: PAYERS,
    concurrency: CONCURRENCY,
    latencyMs: { p50: Math.round(percentile(latencies, 50)), p99: Math.round(percentile(latencies, 99)) },
    paymentsPerSecond: Math.round((PAYMENTS / seconds) * 10) / 10,
  };
  const line = JSON.stringify(result);
  process.stdout.write(`${line}\n`);
  mkdirSync(join(root, 'bench', 'results'), { recursive: true });
  writeFileSync(join(root, 'bench', 'results', 'settlement.json'), `${JSON.stringify(result, null, 2)}\n`);
} finally {
  await runtime.stop();
}
