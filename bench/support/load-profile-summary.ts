/**
 * Summarises V8 `.cpuprofile` files (one per thread, from `--cpu-prof`) by owner: the npm package or project
 * folder a sampled function comes from, with bundles mapped back to their sources through their `.map` files.
 */
import { existsSync, readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { fileURLToPath } from 'node:url';

interface CallFrame {
  readonly functionName: string;
  readonly url: string;
  readonly lineNumber: number;
  readonly columnNumber: number;
}

export interface CpuProfile {
  readonly nodes: readonly {
    readonly id: number;
    readonly callFrame: CallFrame;
    readonly hitCount?: number;
  }[];
  readonly startTime: number;
  readonly endTime: number;
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

/** The owner of a source path: `@scope/pkg` or `pkg` under node_modules, else the project folder (two levels). */
export function ownerOf(source: string): string {
  const modules = source.lastIndexOf('node_modules/');
  if (modules >= 0) {
    const parts = source.slice(modules + 'node_modules/'.length).split('/');
    return (parts[0]?.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]) ?? source;
  }
  if (source.startsWith('node:')) return source.startsWith('node:internal/') ? 'node internals' : source;
  const at = source.search(/(lambdas|local|bench|test)\//);
  if (at >= 0) return source.slice(at).split('/').slice(0, 2).join('/');
  return source || 'V8 / native';
}

const maps = new Map<string, SourceMap | null>();
function sourceMapFor(url: string): SourceMap | null {
  if (!url.startsWith('file://')) return null;
  let map = maps.get(url);
  if (map === undefined) {
    const path = `${fileURLToPath(url)}.map`;
    map = existsSync(path) ? new SourceMap(JSON.parse(readFileSync(path, 'utf8'))) : null;
    maps.set(url, map);
  }
  return map;
}

/** Where a frame comes from: its original source (through a bundle's map) and function name. */
export function locate(frame: CallFrame): { source: string; name: string } {
  const map = sourceMapFor(frame.url);
  if (map) {
    const entry = map.findEntry(frame.lineNumber, frame.columnNumber);
    if ('originalSource' in entry && entry.originalSource) {
      return { source: entry.originalSource, name: frame.functionName };
    }
  }
  return { source: frame.url, name: frame.functionName };
}

/** A worker thread by the handler its bundle was built from; the thread without a bundle is the runtime's own. */
function threadOf(profile: CpuProfile): string {
  for (const node of profile.nodes) {
    const map = sourceMapFor(node.callFrame.url);
    const handler = map?.payload.sources.findLast((s) => s.includes('lambdas/handlers/'));
    if (handler) return handler.slice(handler.indexOf('lambdas/handlers/') + 'lambdas/handlers/'.length);
  }
  return 'runtime (main thread)';
}

/** Self time in ms by owner and by function (top 25), summed over all profiles, and per operation. */
export function summarizeProfiles(
  profiles: readonly CpuProfile[],
  ops: number,
  window = { fromUs: 0, toUs: Number.POSITIVE_INFINITY },
) {
  const byOwner = new Map<string, number>();
  const byFunction = new Map<string, number>();
  const byThread = new Map<string, number>();
  let total = 0;
  for (const profile of profiles) {
    const thread = threadOf(profile);
    const selfMs = new Map<number, number>();
    let at = profile.startTime;
    profile.samples.forEach((id, i) => {
      at += profile.timeDeltas[i] ?? 0;
      if (at < window.fromUs || at > window.toUs) return;
      selfMs.set(id, (selfMs.get(id) ?? 0) + (profile.timeDeltas[i + 1] ?? 0) / 1000);
    });
    for (const node of profile.nodes) {
      const ms = selfMs.get(node.id) ?? 0;
      if (ms === 0 || node.callFrame.functionName === '(idle)') continue;
      const { source, name } = locate(node.callFrame);
      const special = /^\(.*\)$/.test(node.callFrame.functionName) ? node.callFrame.functionName : undefined;
      const owner = special ?? ownerOf(source);
      byOwner.set(owner, (byOwner.get(owner) ?? 0) + ms);
      const fn = `${name || '(anonymous)'} ${source.replace(/^.*node_modules\//, '')}`;
      byFunction.set(fn, (byFunction.get(fn) ?? 0) + ms);
      byThread.set(thread, (byThread.get(thread) ?? 0) + ms);
      total += ms;
    }
  }
  const table = (m: Map<string, number>, n: number) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([name, ms]) => ({ name, msPerOp: Math.round((ms / ops) * 100) / 100 }));
  return {
    threads: profiles.length,
    busyMsPerOp: Math.round((total / ops) * 100) / 100,
    byThread: table(byThread, 30),
    byOwner: table(byOwner, 30),
    byFunction: table(byFunction, 30),
  };
}
