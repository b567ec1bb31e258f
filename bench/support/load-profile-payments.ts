// Where a payment's CPU goes on the local runtime: drives payments to one merchant at a given number in flight
// (POST /payments, then GET /payments/{id} every `pollMs` until settled), after a warm-up round at the same
// concurrency, and prints per payment: the stack's and the machine's CPU, this process's CPU (the runtime's
// threads and the bench's own HTTP client), invocations and cold starts by function, and the bench's polls.
// Run under `--cpu-prof` through `load-profile.ts --payments`; the window it prints feeds `--summarize`.
import type { LocalRuntime } from '../../local/runtime.ts';
import { measureWindow } from './load-profile-window.ts';
import { startBenchRuntime } from './load-runtime.ts';
import { progress } from './output.ts';

const KEY = 'bench-profile-payments-0123456789';
/** The risk rules allow 20 payments per payer per 10 minutes. */
const PAYMENTS_PER_PAYER = 15;

type Counts = ReturnType<LocalRuntime['functionCounts']>;

/** What happened between two snapshots of the pool's counters, per payment, by function. */
export function perPayment(before: Counts, after: Counts, payments: number) {
  const rows: Record<string, { invocations: number; coldStarts: number }> = {};
  for (const [name, now] of Object.entries(after)) {
    const then = before[name] ?? { invocations: 0, coldStarts: 0 };
    const invocations = now.invocations - then.invocations;
    const coldStarts = now.coldStarts - then.coldStarts;
    if (invocations === 0 && coldStarts === 0) continue;
    rows[name.replace(/^Ledgerline-?/, '')] = {
      invocations: Math.round((invocations / payments) * 100) / 100,
      coldStarts: Math.round((coldStarts / payments) * 100) / 100,
    };
  }
  return rows;
}

export async function drivePayments(inFlight: number, ops: number, pollMs: number): Promise<void> {
  const runtime = await startBenchRuntime(KEY);
  let polls = 0;
  const call = async (method: string, route: string, body?: unknown, key?: string) => {
    const response = await fetch(`${runtime.apiUrl}${route}`, {
      method,
      headers: {
        'x-api-key': KEY,
        'content-type': 'application/json',
        ...(key ? { 'Idempotency-Key': key } : {}),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const json = (await response.json()) as Record<string, unknown>;
    // A payment not projected yet answers 404: still pending, for the poller.
    if (method === 'GET' && response.status === 404) return { status: 'pending' };
    if (response.status >= 300) throw new Error(`${route}: ${response.status} ${JSON.stringify(json)}`);
    return json;
  };
  try {
    const merchant = String((await call('POST', '/accounts', { currency: 'USD', kind: 'merchant' })).id);
    const payers: string[] = [];
    for (let i = 0; i < Math.ceil((ops + inFlight) / PAYMENTS_PER_PAYER) + 1; i++) {
      const id = String((await call('POST', '/accounts', { currency: 'USD' })).id);
      await call('POST', `/accounts/${id}/deposits`, { amount: 10_000_000, currency: 'USD' });
      payers.push(id);
    }
    let turn = 0;
    const errors: string[] = [];
    const pay = () =>
      payOnce().catch((error: unknown) => {
        errors.push(String(error).slice(0, 200));
      });
    const payOnce = async (): Promise<void> => {
      const n = turn++;
      const payer = payers[n % payers.length] as string;
      const body = { payerAccountId: payer, merchantAccountId: merchant, amount: 1_000, currency: 'USD' };
      const created = await call(
        'POST',
        '/payments',
        { ...body, paymentMethod: 'pm_card_visa' },
        `profile-${process.pid}-${n}`,
      );
      for (;;) {
        await new Promise((r) => setTimeout(r, pollMs));
        polls++;
        const view = await call('GET', `/payments/${String(created.id)}`);
        if (view.status === 'settled') return;
        if (view.status === 'failed') throw new Error(`payment failed: ${JSON.stringify(view)}`);
      }
    };
    // Warm every function at the concurrency measured, then let the stack go quiet.
    await Promise.all(Array.from({ length: inFlight }, pay));
    await new Promise((r) => setTimeout(r, 3_000));
    polls = 0;
    errors.length = 0;
    const before = runtime.functionCounts();
    const { seconds, cpu, node, window } = await measureWindow(runtime.childPids, inFlight, ops, pay, 3_000);
    const result = {
      ops,
      inFlight,
      pollMs,
      seconds: Math.round(seconds * 100) / 100,
      perSecond: Math.round((ops / seconds) * 100) / 100,
      machineMsPerOp: Math.round((cpu.machineMs ?? 0) / ops),
      stackMsPerOp: Math.round(cpu.stackMs / ops),
      nodeMsPerOp: Math.round(node.stackMs / ops),
      pollsPerOp: Math.round((polls / ops) * 100) / 100,
      errors,
      functionsPerOp: perPayment(before, runtime.functionCounts(), ops),
      window,
    };
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } finally {
    await runtime.stop();
  }
}

export function runPaymentsProfile(args: readonly string[]): Promise<void> {
  const inFlight = Number(args[0] ?? 1);
  const ops = Number(args[1] ?? 40);
  const pollMs = Number(args[2] ?? (inFlight > 1 ? 500 : 50));
  progress(`profiling ${ops} payments at ${inFlight} in flight, polling every ${pollMs} ms`);
  return drivePayments(inFlight, ops, pollMs);
}
