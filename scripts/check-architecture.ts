/**
 * `node scripts/check-architecture.ts`: checks the rules of scripts/architecture.ts over bin, lib,
 * lambdas and local; prints every violation and exits 1 when there is one.
 */
import { resolve } from 'node:path';
import { checkArchitecture, readSources } from './architecture.ts';

const files = readSources(resolve(import.meta.dirname, '..'));
const violations = checkArchitecture(files);
if (violations.length > 0) {
  console.error(`Architecture check failed:\n  ${violations.join('\n  ')}`);
  process.exit(1);
}
console.log(`architecture: ${files.length} files, domain pure, layers respected, no import cycles`);
