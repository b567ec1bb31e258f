// Benchmark: time from `npm start` (synth excluded) to the first answered API request, and the idle
// memory of the whole local stack (the runtime process, its worker threads, DynamoDB Local's java).
// Prints one JSON line and writes bench/results/local-startup.json. Goal: ready < 15 s, idle < 1.5 GiB.
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '../local/ports.ts';
import { ensureAssembly } from '../local/synth.ts';

const root = join(import.meta.dirname, '..');
const KEY = 'bench-tenant-0123456789abcdef';

function children(pid: number): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) found.push(Number(entry), ...children(Number(entry)));
    } catch {
      // The process ended while we looked.
    }
  }
  return found;
}

function rssKiB(pid: number): number {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return Number(match?.[1] ?? 0);
  } catch {
    return 0;
  }
}

await ensureAssembly(root, join(root, 'cdk.out'), true);
const port = await freePort();
const started = performance.now();
const child = spawn(process.execPath, [join(root, 'local', 'cli.ts'), '--no-synth', '--port', String(port)], {
  cwd: root,
  env: { ...process.env, LEDGERLINE_LOCAL_API_KEYS: KEY },
  stdio: ['ignore', 'ignore', 'inherit'],
});
const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));

let readyMs: number | undefined;
let status = 0;
while (readyMs === undefined) {
  if (child.exitCode !== null) throw new Error(`local runtime exited with ${child.exitCode}`);
  if (performance.now() - started > 60_000) throw new Error('local runtime not ready within 60 s');
  try {
    // A route that runs a function (cold start included), not only the gateway.
    const response = await fetch(`http://127.0.0.1:${port}/accounts/bench-probe`, {
      headers: { 'x-api-key': KEY },
    });
    status = response.status;
    await response.arrayBuffer();
    readyMs = Math.round(performance.now() - started);
  } catch {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

// Let start-up garbage settle, then measure the idle stack.
await new Promise((resolve) => setTimeout(resolve, 3000));
const pids = [child.pid as number, ...children(child.pid as number)];
const idleRssMiB = Math.round(pids.reduce((sum, pid) => sum + rssKiB(pid), 0) / 1024);

child.kill('SIGTERM');
const code = await exited;
const leftovers = pids.filter((pid) => {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').length > 0;
  } catch {
    return false;
  }
});

const result = {
  bench: 'local-startup',
  readyMs,
  idleRssMiB,
  firstStatus: status,
  processes: pids.length,
  exitCode: code,
  leftovers: leftovers.length,
};
console.log(JSON.stringify(result));
mkdirSync(join(root, 'bench', 'results'), { recursive: true });
writeFileSync(join(root, 'bench', 'results', 'local-startup.json'), `${JSON.stringify(result, null, 2)}\n`);
if (leftovers.length > 0) process.exitCode = 1;
