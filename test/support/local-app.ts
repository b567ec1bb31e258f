import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const fixtureDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'local-app');

function fingerprint(): string {
  const hash = createHash('sha256');
  const require = createRequire(import.meta.url);
  hash.update(String((require('aws-cdk-lib/package.json') as { version: string }).version));
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) =>
      a.name.localeCompare(b.name),
    )) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else hash.update(entry.name).update(readFileSync(path));
    }
  };
  walk(fixtureDir);
  return hash.digest('hex').slice(0, 16);
}

/**
 * The fixture app's cloud assembly, synthesized with the CDK API once per fixture version and reused by
 * every test file (written to a temporary name, then renamed, so parallel files never see half of it).
 */
export async function localAppAssembly(): Promise<string> {
  const target = join(tmpdir(), `ledgerline-local-app-${fingerprint()}`);
  if (existsSync(join(target, 'manifest.json'))) return target;
  const staging = `${target}.${process.pid}.${Date.now()}`;
  mkdirSync(staging, { recursive: true });
  const { synthLocalApp } = await import('../fixtures/local-app/bin.ts');
  synthLocalApp(staging);
  try {
    renameSync(staging, target);
  } catch {
    // Another test file won the race; its assembly is identical.
    rmSync(staging, { recursive: true, force: true });
  }
  return target;
}
