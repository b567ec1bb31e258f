/** The local runtime as the load benches run it: synthesized if stale, quiet, a free port, one tenant. */
import { join } from 'node:path';
import { type LocalRuntime, startLocalRuntime } from '../../local/runtime.ts';
import { ensureAssembly } from '../../local/synth.ts';
import { THROTTLE_SWITCH } from '../../local/throttle.ts';

/** The project root (where `cdk.out` and `node_modules` are). */
export const PROJECT_ROOT = join(import.meta.dirname, '..', '..');

/** Synthesizes if needed and starts the stack with `apiKey` as its one extra tenant. */
export async function startBenchRuntime(apiKey: string): Promise<LocalRuntime> {
  const cdkOut = join(PROJECT_ROOT, 'cdk.out');
  await ensureAssembly(PROJECT_ROOT, cdkOut, true);
  // The benches drive one tenant far above its usage plan's rate: they measure the stack, not the 429s.
  process.env[THROTTLE_SWITCH] ??= 'off';
  return startLocalRuntime({
    cdkOut,
    projectRoot: PROJECT_ROOT,
    port: 0,
    host: '127.0.0.1',
    apiKeys: [apiKey],
    log: () => {},
    functionLog: () => {},
  });
}
