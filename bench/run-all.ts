/** Runs every benchmark in bench/ one after another (they share the machine; never in parallel). */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

const here = import.meta.dirname;
const benches = readdirSync(here).filter((f) => f.endsWith('.ts') && f !== 'run-all.ts');
let failed = 0;
for (const file of benches.sort()) {
  const result = spawnSync(process.execPath, [join(here, file)], { stdio: 'inherit' });
  if (result.status !== 0) failed++;
}
process.exit(failed === 0 ? 0 : 1);
