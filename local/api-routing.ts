import type { ApiRoute } from './api-model.ts';

/** A matched route with its path parameters. */
export interface RouteMatch {
  readonly route: ApiRoute;
  readonly pathParameters: Record<string, string> | null;
}

type Segment =
  | { kind: 'literal'; value: string }
  | { kind: 'param'; name: string }
  | { kind: 'greedy'; name: string };

function parse(path: string): Segment[] {
  return path
    .split('/')
    .filter(Boolean)
    .map((part): Segment => {
      const greedy = /^\{(.+)\+\}$/.exec(part);
      if (greedy?.[1]) return { kind: 'greedy', name: greedy[1] };
      const param = /^\{(.+)\}$/.exec(part);
      if (param?.[1]) return { kind: 'param', name: param[1] };
      return { kind: 'literal', value: part };
    });
}

/** Ranks a match: per segment literal (2) over `{param}` (1) over `{proxy+}` (0), left to right. */
function matchTemplate(
  template: Segment[],
  parts: string[],
): { rank: number[]; params: Record<string, string> } | null {
  const params: Record<string, string> = {};
  const rank: number[] = [];
  for (let i = 0; i < template.length; i++) {
    const segment = template[i] as Segment;
    if (segment.kind === 'greedy') {
      if (i >= parts.length) return null;
      params[segment.name] = parts.slice(i).join('/');
      rank.push(0);
      return { rank, params };
    }
    const part = parts[i];
    if (part === undefined) return null;
    if (segment.kind === 'literal') {
      if (segment.value !== part) return null;
      rank.push(2);
    } else {
      params[segment.name] = part;
      rank.push(1);
    }
  }
  return template.length === parts.length ? { rank, params } : null;
}

function compareRanks(a: number[], b: number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const diff = (a[i] ?? -1) - (b[i] ?? -1);
    if (diff !== 0) return diff;
  }
  return 0;
}

/** Picks the resource as API Gateway does (most specific path), then the method on it (or `ANY`). */
export function matchRoute(
  routes: readonly ApiRoute[],
  method: string,
  path: string,
): RouteMatch | undefined {
  const parts = path
    .split('/')
    .filter(Boolean)
    .map((part) => {
      try {
        return decodeURIComponent(part);
      } catch {
        return part;
      }
    });
  let best: { path: string; rank: number[]; params: Record<string, string> } | undefined;
  for (const resourcePath of new Set(routes.map((r) => r.path))) {
    const match = matchTemplate(parse(resourcePath), parts);
    if (match && (!best || compareRanks(match.rank, best.rank) > 0)) best = { path: resourcePath, ...match };
  }
  if (!best) return undefined;
  const onResource = routes.filter((r) => r.path === best.path);
  const route = onResource.find((r) => r.method === method) ?? onResource.find((r) => r.method === 'ANY');
  if (!route) return undefined;
  return { route, pathParameters: Object.keys(best.params).length > 0 ? best.params : null };
}
