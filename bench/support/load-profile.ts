// Where a transfer's CPU goes on the local runtime (issue 10): run this under `--cpu-prof` and it drives
// transfers between independent pairs, then summarises every thread's profile (the gateway's main thread and each
// Lambda worker thread) by owner, with the bundles' source maps applied, next to DynamoDB Local's CPU (java).
// Usage:
//   npm exec -- node --cpu-prof --cpu-prof-dir=/tmp/ledgerline-prof bench/support/load-profile.ts [clients] [ops]
//   npm exec -- node --cpu-prof --cpu-prof-dir=<dir> bench/support/load-profile.ts --payments [inFlight] [ops] [pollMs]
//   npm exec -- node bench/support/load-profile.ts --summarize /tmp/ledgerline-prof <ops> <window>
// The first prints the CPU per op and the measured window (monotonic µs, as the profiles' timestamps); the second prints a table (ms per transfer by owner) as JSON.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runPaymentsProfile } from './load-profile-payments.ts';
import { type CpuProfile, summarizeProfiles } from './load-profile-summary.ts';
import { measureWindow } from './load-profile-window.ts';
import { startBenchRuntime } from './load-runtime.ts';
import { progress } from './output.ts';

const KEY = 'bench-profile-tenant-0123456789ab';

async function drive(clients: number, ops: number): Promise<void> {
  const runtime = await startBenchRuntime(KEY);
  const call = async (route: string, body: unknown): Promise<Record<string, unknown>> => {
    const response = await fetch(`${runtime.apiUrl}${route}`, {
      method: 'POST',
      headers: { 'x-api-key': KEY, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const json = (await response.json()) as Record<string, unknown>;
    if (response.status >= 300) throw new Error(`${route}: ${response.status} ${JSON.stringify(json)}`);
    return json;
  };
  try {
    const pairs: [string, string][] = [];
    for (let i = 0; i < clients; i++) {
      const from = String((await call('/accounts', { currency: 'USD' })).id);
      const to = String((await call('/accounts', { currency: 'USD' })).id);
      await call(`/accounts/${from}/deposits`, { amount: 1_000_000, currency: 'USD' });
      pairs.push([from, to]);
    }
    const transfer = ([from, to]: [string, string]) =>
      call('/transfers', { debitAccountId: from, creditAccountId: to, amount: 1, currency: 'USD' });
    await Promise.all(pairs.map(transfer));
    await new Promise((r) => setTimeout(r, 2_000));
    // The projector's catching up after the last answer is part of a transfer's price.
    const { seconds, cpu, node, window } = await measureWindow(
      runtime.childPids,
      pairs.length,
      ops,
      (loop) => transfer(pairs[loop] as [string, string]),
      2_000,
    );
    process.stdout.write(
      `${JSON.stringify({ ops, clients, seconds, machineMsPerOp: (cpu.machineMs ?? 0) / ops, stackMsPerOp: cpu.stackMs / ops, nodeMsPerOp: node.stackMs / ops, window })}\n`,
    );
  } finally {
    await runtime.stop();
  }
}

if (process.argv[2] === '--summarize') {
  const dir = process.argv[3] ?? '/tmp/ledgerline-prof';
  const ops = Number(process.argv[4] ?? 1);
  const [from, to] = (process.argv[5] ?? '0-Infinity').split('-').map(Number);
  const profiles = readdirSync(dir)
    .filter((f) => f.endsWith('.cpuprofile'))
    .map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as CpuProfile);
  process.stdout.write(
    `${JSON.stringify(summarizeProfiles(profiles, ops, { fromUs: from ?? 0, toUs: to ?? Number.POSITIVE_INFINITY }), null, 1)}\n`,
  );
} else if (process.argv[2] === '--payments') {
  await runPaymentsProfile(process.argv.slice(3));
} else {
  const clients = Number(process.argv[2] ?? 16);
  const ops = Number(process.argv[3] ?? 400);
  progress(`profiling ${ops} transfers at ${clients} clients`);
  await drive(clients, ops);
}
