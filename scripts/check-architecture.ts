/**
 * Architecture rules, checked on the source text so that type-only imports count too:
 *  - lambdas/domain imports only lambdas/domain, and touches no clock, randomness or environment;
 *  - adapters never import handlers; lambda code never imports the CDK;
 *  - no import cycles anywhere in bin, lib, lambdas, local.
 * dependency-cruiser does not yet read TypeScript 7 sources, hence this script.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const ROOTS = ['bin', 'lib', 'lambdas', 'local'];
const IMPORT =
  /(?:^|\s)(?:import|export)\s+(?:type\s+)?(?:[^'";]*?\sfrom\s+)?['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/gm;
const DOMAIN_FORBIDDEN: readonly [RegExp, string][] = [
  [/\bprocess\./, 'process (environment, I/O)'],
  [/\bMath\.random\b/, 'Math.random (use IdGenerator)'],
  [/\bDate\.now\b/, 'Date.now (use Clock)'],
  [/new Date\(\)/, 'new Date() (use Clock)'],
];

function sourceFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory())
      return name === 'node_modules' || name === 'cdk.out' ? [] : sourceFiles(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

function stripComments(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
}

function importsOf(file: string): string[] {
  const text = stripComments(readFileSync(file, 'utf8'));
  return [...text.matchAll(IMPORT)].map((m) => m[1] ?? m[2] ?? '').filter(Boolean);
}

const files = ROOTS.flatMap((r) => sourceFiles(join(root, r)));
const rel = (file: string) => relative(root, file);
const violations: string[] = [];
const graph = new Map<string, string[]>();

for (const file of files) {
  const edges: string[] = [];
  const from = rel(file);
  for (const specifier of importsOf(file)) {
    const local = specifier.startsWith('.') ? rel(resolve(dirname(file), specifier)) : null;
    if (local) edges.push(local);
    if (from.startsWith('lambdas/domain/') && !local?.startsWith('lambdas/domain/')) {
      violations.push(`${from}: the domain may not import '${specifier}'`);
    }
    if (from.startsWith('lambdas/adapters/') && local?.startsWith('lambdas/handlers/')) {
      violations.push(`${from}: an adapter may not import a handler ('${specifier}')`);
    }
    if (from.startsWith('lambdas/') && /^(aws-cdk-lib|constructs|cdk-nag)(\/|$)/.test(specifier)) {
      violations.push(`${from}: Lambda code may not import the CDK ('${specifier}')`);
    }
  }
  if (from.startsWith('lambdas/domain/')) {
    const text = stripComments(readFileSync(file, 'utf8'));
    for (const [pattern, what] of DOMAIN_FORBIDDEN) {
      if (pattern.test(text)) violations.push(`${from}: the domain may not use ${what}`);
    }
  }
  graph.set(from, edges);
}

// Tarjan's strongly connected components: any component of two or more files is a cycle.
let index = 0;
const indices = new Map<string, number>();
const low = new Map<string, number>();
const stack: string[] = [];
const onStack = new Set<string>();
function connect(node: string): void {
  indices.set(node, index);
  low.set(node, index++);
  stack.push(node);
  onStack.add(node);
  for (const next of graph.get(node) ?? []) {
    if (!graph.has(next)) continue;
    if (!indices.has(next)) {
      connect(next);
      low.set(node, Math.min(low.get(node) ?? 0, low.get(next) ?? 0));
    } else if (onStack.has(next)) {
      low.set(node, Math.min(low.get(node) ?? 0, indices.get(next) ?? 0));
    }
  }
  if (low.get(node) === indices.get(node)) {
    const component: string[] = [];
    let member: string | undefined;
    do {
      member = stack.pop();
      if (member === undefined) break;
      onStack.delete(member);
      component.push(member);
    } while (member !== node);
    if (component.length > 1) violations.push(`import cycle: ${component.reverse().join(' → ')}`);
  }
}
for (const node of graph.keys()) if (!indices.has(node)) connect(node);

if (violations.length > 0) {
  console.error(`Architecture check failed:\n  ${violations.join('\n  ')}`);
  process.exit(1);
}
console.log(`architecture: ${files.length} files, domain pure, no import cycles`);
