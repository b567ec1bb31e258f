/**
 * Architecture rules, checked on the source text so that type-only imports count too:
 *  - lambdas/domain imports only lambdas/domain, and touches no clock, randomness or environment;
 *  - each folder (ring) of lambdas/ imports only the folders LAYERS allows, and no two folders
 *    import each other, directly or round a longer cycle;
 *  - handlers take only types and errors from the adapters (the composition root builds them);
 *  - Lambda code imports neither the CDK nor bin/, lib/, local/, scripts/ or cli/;
 *  - no import cycles between files anywhere in bin, lib, lambdas, local, cli.
 * dependency-cruiser does not yet read TypeScript 7 sources, hence this module. It runs over any set
 * of sources, so its own test can seed violations in a temporary tree.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, posix, relative, sep } from 'node:path';

/** A source file: its path relative to the repository root (with `/`), and its text. */
export interface SourceFile {
  readonly path: string;
  readonly text: string;
}

/** The folders that are checked. */
export const ROOTS: readonly string[] = ['bin', 'lib', 'lambdas', 'local', 'cli'];

/** The folders of lambdas/ and the folders each may import (besides itself). */
export const LAYERS: Readonly<Record<string, readonly string[]>> = {
  domain: [],
  application: ['domain'],
  adapters: ['domain'],
  shared: ['domain', 'application'],
  composition: ['domain', 'application', 'adapters', 'shared'],
  handlers: ['domain', 'application', 'adapters', 'shared', 'composition'],
  operations: ['domain', 'application', 'adapters', 'shared', 'composition'],
};

/** Allowed imports that may bring in only types and error classes: `from → to`. */
const TYPES_AND_ERRORS_ONLY: ReadonlySet<string> = new Set(['handlers → adapters']);

const IMPORT =
  /(?:^|\s)(?:import|export)\s+(type\s+)?(?:([^'";]*?)\sfrom\s+)?['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/gm;
const CDK = /^(aws-cdk-lib|constructs|cdk-nag)(\/|$)/;
const OUTSIDE_LAMBDAS = /^(bin|lib|local|scripts|cli)\//;
const DOMAIN_FORBIDDEN: readonly [RegExp, string][] = [
  [/\bprocess\./, 'process (environment, I/O)'],
  [/\bMath\.random\b/, 'Math.random (use IdGenerator)'],
  [/\bDate\.now\b/, 'Date.now (use Clock)'],
  [/new Date\(\)/, 'new Date() (use Clock)'],
];

/** One import of a file: what it names, where it resolves to (for a relative one), and what it brings in. */
interface Import {
  readonly specifier: string;
  /** The imported file, relative to the root; null for a package. */
  readonly local: string | null;
  /** `import type …`, or only `type X` and `…Error` names in braces. */
  readonly typesAndErrorsOnly: boolean;
}

function stripComments(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
}

function typesAndErrorsOnly(typeKeyword: string | undefined, clause: string | undefined): boolean {
  if (typeKeyword) return true;
  const names = clause?.trim().match(/^\{([^}]*)\}$/)?.[1];
  if (names === undefined) return false;
  return names
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean)
    .every((name) => name.startsWith('type ') || /Error$/.test(name.split(/\s+as\s+/)[0] ?? ''));
}

function importsOf(file: SourceFile): Import[] {
  return [...stripComments(file.text).matchAll(IMPORT)].flatMap((m) => {
    const specifier = m[3] ?? m[4];
    if (!specifier) return [];
    const local = specifier.startsWith('.') ? posix.join(posix.dirname(file.path), specifier) : null;
    return [{ specifier, local, typesAndErrorsOnly: m[3] !== undefined && typesAndErrorsOnly(m[1], m[2]) }];
  });
}

/** The folder of lambdas/ a path is in (`lambdas/<folder>/…`), or null outside lambdas/. */
function layerOf(path: string): string | null {
  const parts = path.split('/');
  if (parts[0] !== 'lambdas') return null;
  return parts.length > 2 ? (parts[1] ?? null) : '(lambdas root)';
}

/** Tarjan's strongly connected components of two or more nodes: each is a cycle. */
function cyclesOf(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  let index = 0;
  const indices = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  const connect = (node: string): void => {
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
    if (low.get(node) !== indices.get(node)) return;
    const component: string[] = [];
    let member: string | undefined;
    do {
      member = stack.pop();
      if (member === undefined) break;
      onStack.delete(member);
      component.push(member);
    } while (member !== node);
    if (component.length > 1) cycles.push(component.reverse());
  };
  for (const node of graph.keys()) if (!indices.has(node)) connect(node);
  return cycles;
}

/** A shortest path from the first node of a cycle (a strongly connected component) back to it. */
function loopThrough(graph: ReadonlyMap<string, readonly string[]>, component: readonly string[]): string[] {
  const [start] = component;
  if (start === undefined) return [];
  const members = new Set(component);
  const parent = new Map<string, string>();
  const queue = [start];
  for (let node = queue.shift(); node !== undefined; node = queue.shift()) {
    for (const next of graph.get(node) ?? []) {
      if (!members.has(next) || parent.has(next)) continue;
      parent.set(next, node);
      if (next === start) {
        const path = [start];
        for (let at = node; at !== start; at = parent.get(at) ?? start) path.unshift(at);
        return [start, ...path];
      }
      queue.push(next);
    }
  }
  return [...component, start];
}

/** The violations of one import of `from` (a file in lambdas/ at `layer`). */
function importViolations(from: string, layer: string, imported: Import): string[] {
  const { specifier, local } = imported;
  if (layer === 'domain') {
    return local?.startsWith('lambdas/domain/') ? [] : [`${from}: the domain may not import '${specifier}'`];
  }
  if (CDK.test(specifier)) return [`${from}: Lambda code may not import the CDK ('${specifier}')`];
  if (local === null) return [];
  if (OUTSIDE_LAMBDAS.test(local)) return [`${from}: Lambda code may not import '${specifier}'`];
  const target = layerOf(local);
  if (target === null || target === layer || LAYERS[target] === undefined) return [];
  if (!LAYERS[layer]?.includes(target)) {
    return [`${from}: ${layer} may not import ${target} ('${specifier}')`];
  }
  if (TYPES_AND_ERRORS_ONLY.has(`${layer} → ${target}`) && !imported.typesAndErrorsOnly) {
    return [`${from}: ${layer} may import only types and errors from ${target} ('${specifier}')`];
  }
  return [];
}

/** Every violation of the rules in `files`, as one line each; empty when the tree is clean. */
export function checkArchitecture(files: readonly SourceFile[]): string[] {
  const violations: string[] = [];
  const fileGraph = new Map<string, string[]>();
  const folderGraph = new Map<string, Set<string>>();
  for (const file of files) {
    const imports = importsOf(file);
    fileGraph.set(
      file.path,
      imports.flatMap((i) => i.local ?? []),
    );
    const layer = layerOf(file.path);
    if (layer === null) continue;
    if (LAYERS[layer] === undefined) {
      violations.push(`${file.path}: lambdas/${layer} is not a layer (${Object.keys(LAYERS).join(', ')})`);
      continue;
    }
    for (const imported of imports) {
      violations.push(...importViolations(file.path, layer, imported));
      const target = imported.local === null ? null : layerOf(imported.local);
      if (target !== null && target !== layer) {
        folderGraph.set(layer, (folderGraph.get(layer) ?? new Set()).add(target));
        if (!folderGraph.has(target)) folderGraph.set(target, new Set());
      }
    }
    if (layer === 'domain') {
      const text = stripComments(file.text);
      for (const [pattern, what] of DOMAIN_FORBIDDEN) {
        if (pattern.test(text)) violations.push(`${file.path}: the domain may not use ${what}`);
      }
    }
  }
  const folders = new Map([...folderGraph].map(([folder, targets]) => [folder, [...targets]]));
  for (const cycle of cyclesOf(folders)) {
    violations.push(
      `folder cycle: ${loopThrough(folders, cycle)
        .map((f) => `lambdas/${f}`)
        .join(' → ')}`,
    );
  }
  for (const cycle of cyclesOf(fileGraph)) violations.push(`import cycle: ${cycle.join(' → ')}`);
  return violations;
}

/** The .ts files under `roots` of the tree at `root` (node_modules and cdk.out left out). */
export function readSources(root: string, roots: readonly string[] = ROOTS): SourceFile[] {
  const walk = (dir: string): string[] => {
    if (!existsSync(dir)) return [];
    return readdirSync(dir).flatMap((name) => {
      const path = join(dir, name);
      if (statSync(path).isDirectory())
        return name === 'node_modules' || name === 'cdk.out' ? [] : walk(path);
      return path.endsWith('.ts') ? [path] : [];
    });
  };
  return roots
    .flatMap((r) => walk(join(root, r)))
    .map((file) => ({ path: relative(root, file).split(sep).join('/'), text: readFileSync(file, 'utf8') }));
}
