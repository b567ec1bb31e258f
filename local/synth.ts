import { spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { LocalRuntimeError } from './errors.ts';

/** What `cdk synth` reads: a newer file here makes `cdk.out` stale. */
export const SYNTH_INPUTS = ['bin', 'lib', 'lambdas', 'statemachines', 'cdk.json', 'package-lock.json'];

function newestMtime(path: string): number {
  if (!existsSync(path)) return 0;
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs;
  for (const entry of readdirSync(path)) {
    if (entry === 'node_modules' || entry.startsWith('.')) continue;
    newest = Math.max(newest, newestMtime(join(path, entry)));
  }
  return newest;
}

/** Whether `cdkOut` exists and is newer than every synth input under `projectRoot`. */
export function isAssemblyFresh(projectRoot: string, cdkOut: string): boolean {
  const manifest = join(cdkOut, 'manifest.json');
  if (!existsSync(manifest)) return false;
  const built = statSync(manifest).mtimeMs;
  return SYNTH_INPUTS.every((input) => newestMtime(join(projectRoot, input)) <= built);
}

/** Runs `npx cdk synth --quiet` in `projectRoot` (output to the terminal) and fails loudly when it fails. */
export function synthesize(projectRoot: string, options: { quietOutput?: boolean } = {}): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('npx', ['cdk', 'synth', '--quiet'], {
      cwd: projectRoot,
      stdio: options.quietOutput ? ['ignore', 'ignore', 'pipe'] : 'inherit',
    });
    let stderr = '';
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code === 0) resolve();
      else
        reject(
          new LocalRuntimeError(`cdk synth failed (exit ${code})${stderr ? `:\n${stderr.trim()}` : ''}`),
        );
    });
  });
}

/** Synthesizes unless `cdk.out` is fresh; returns whether it ran. */
export async function ensureAssembly(
  projectRoot: string,
  cdkOut: string,
  quietOutput = false,
): Promise<boolean> {
  if (isAssemblyFresh(projectRoot, cdkOut)) return false;
  await synthesize(projectRoot, { quietOutput });
  return true;
}
