import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { checkArchitecture, readSources } from '../../../scripts/architecture.ts';

/** A clean tree: every folder imports only what it may, handlers take types and errors from adapters. */
const CLEAN: Readonly<Record<string, string>> = {
  'lambdas/domain/money.ts': `export const cents = (n: number) => n;`,
  'lambdas/domain/ports.ts': `import type { cents } from './money.ts';\nexport interface Clock { now(): string }`,
  'lambdas/application/run.ts': `import { cents } from '../domain/money.ts';\nexport const run = () => cents(1);`,
  'lambdas/adapters/store.ts': `import type { Clock } from '../domain/ports.ts';\nexport class Store {}\nexport class StoreError extends Error {}`,
  'lambdas/shared/config.ts': `import { run } from '../application/run.ts';\nexport const env = process.env;`,
  'lambdas/composition/root.ts': `import { Store } from '../adapters/store.ts';\nimport { env } from '../shared/config.ts';\nexport const store = new Store();`,
  'lambdas/handlers/api/get.ts': `import { type Store, StoreError } from '../../adapters/store.ts';\nimport type { Clock } from '../../domain/ports.ts';\nimport { store } from '../../composition/root.ts';\nimport middy from '@middy/core';`,
  'lambdas/operations/rebuild.ts': `import { Store } from '../adapters/store.ts';\nimport { store } from '../composition/root.ts';`,
  'lib/stack.ts': `import { Stack } from 'aws-cdk-lib';\nimport type { Clock } from '../lambdas/domain/ports.ts';`,
  'local/runtime.ts': `import { store } from '../lambdas/composition/root.ts';`,
};

let root: string | undefined;

/** The violations reported for the clean tree with `changes` written over it, read back from disk. */
function check(changes: Readonly<Record<string, string>> = {}): string[] {
  root = mkdtempSync(join(tmpdir(), 'architecture-'));
  for (const [path, text] of Object.entries({ ...CLEAN, ...changes })) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return checkArchitecture(readSources(root));
}

afterEach(() => {
  if (root) rmSync(root, { recursive: true, force: true });
  root = undefined;
});

describe('the architecture check', () => {
  it('passes a clean tree', () => {
    expect(check()).toEqual([]);
  });

  it('reports an adapter that imports shared', () => {
    expect(check({ 'lambdas/adapters/leak.ts': `import { env } from '../shared/config.ts';` })).toEqual([
      `lambdas/adapters/leak.ts: adapters may not import shared ('../shared/config.ts')`,
    ]);
  });

  it('reports an adapter that imports a handler, even for a type, and the cycle it closes', () => {
    expect(check({ 'lambdas/adapters/leak.ts': `import type { X } from '../handlers/api/get.ts';` })).toEqual(
      [
        `lambdas/adapters/leak.ts: adapters may not import handlers ('../handlers/api/get.ts')`,
        'folder cycle: lambdas/adapters → lambdas/handlers → lambdas/adapters',
      ],
    );
  });

  it('reports a domain file that imports an adapter', () => {
    expect(check({ 'lambdas/domain/leak.ts': `import { Store } from '../adapters/store.ts';` })).toEqual([
      `lambdas/domain/leak.ts: the domain may not import '../adapters/store.ts'`,
      'folder cycle: lambdas/adapters → lambdas/domain → lambdas/adapters',
    ]);
  });

  it('reports a domain file that imports a package', () => {
    expect(check({ 'lambdas/domain/leak.ts': `import { marshall } from '@aws-sdk/util-dynamodb';` })).toEqual(
      [`lambdas/domain/leak.ts: the domain may not import '@aws-sdk/util-dynamodb'`],
    );
  });

  it('reports process.env, the clock and randomness in the domain, but not in a comment', () => {
    const text = `// process.env is read in shared\nexport const a = process.env.A;\nexport const b = Date.now();\nexport const c = Math.random();`;
    expect(check({ 'lambdas/domain/leak.ts': text })).toEqual([
      'lambdas/domain/leak.ts: the domain may use no process (environment, I/O)'.replace(
        'may use no',
        'may not use',
      ),
      'lambdas/domain/leak.ts: the domain may not use Math.random (use IdGenerator)',
      'lambdas/domain/leak.ts: the domain may not use Date.now (use Clock)',
    ]);
  });

  it('reports a cycle between folders, with the import that breaks the layering', () => {
    const violations = check({
      'lambdas/application/back.ts': `import { env } from '../shared/config.ts';`,
    });
    expect(violations).toEqual([
      `lambdas/application/back.ts: application may not import shared ('../shared/config.ts')`,
      'folder cycle: lambdas/application → lambdas/shared → lambdas/application',
    ]);
  });

  it('reports a cycle between files of one folder', () => {
    const violations = check({
      'lambdas/domain/a.ts': `import { b } from './b.ts';\nexport const a = 1;`,
      'lambdas/domain/b.ts': `import { a } from './a.ts';\nexport const b = 1;`,
    });
    expect(violations).toEqual(['import cycle: lambdas/domain/a.ts → lambdas/domain/b.ts']);
  });

  it('reports a handler that takes a value other than an error from an adapter', () => {
    const text = `import { Store, StoreError } from '../../adapters/store.ts';\nexport { Store };`;
    expect(check({ 'lambdas/handlers/api/build.ts': text })).toEqual([
      `lambdas/handlers/api/build.ts: handlers may import only types and errors from adapters ('../../adapters/store.ts')`,
    ]);
  });

  it('reports a folder of lambdas/ that is not a layer', () => {
    expect(check({ 'lambdas/utils/x.ts': 'export const x = 1;' })).toEqual([
      'lambdas/utils/x.ts: lambdas/utils is not a layer (domain, application, adapters, shared, composition, handlers, operations)',
    ]);
  });

  it('reports Lambda code that imports the CDK or the local runtime', () => {
    const violations = check({
      'lambdas/shared/cdk.ts': `import { Duration } from 'aws-cdk-lib';\nimport { x } from '../../local/runtime.ts';`,
    });
    expect(violations).toEqual([
      `lambdas/shared/cdk.ts: Lambda code may not import the CDK ('aws-cdk-lib')`,
      `lambdas/shared/cdk.ts: Lambda code may not import '../../local/runtime.ts'`,
    ]);
  });

  it('sees dynamic imports and re-exports as imports', () => {
    const violations = check({
      'lambdas/adapters/lazy.ts': `export const load = () => import('../handlers/api/get.ts');`,
      'lambdas/adapters/again.ts': `export * from '../shared/config.ts';`,
    });
    expect(violations).toEqual([
      `lambdas/adapters/again.ts: adapters may not import shared ('../shared/config.ts')`,
      `lambdas/adapters/lazy.ts: adapters may not import handlers ('../handlers/api/get.ts')`,
      'folder cycle: lambdas/adapters → lambdas/handlers → lambdas/adapters',
    ]);
  });
});
