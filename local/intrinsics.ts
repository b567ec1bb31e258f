import { LocalRuntimeError } from './errors.ts';

/** What intrinsic resolution needs from the runtime: resource values as they come into being. */
export interface ResolveContext {
  /** `Ref` to a resource or parameter; throws when it is not known (yet). */
  ref(logicalId: string, at: string): unknown;
  /** `Fn::GetAtt`; throws when the attribute is not known. */
  getAtt(logicalId: string, attribute: string, at: string): unknown;
  /** Pseudo parameters: `AWS::Region`, `AWS::AccountId`, ... */
  readonly pseudo: Readonly<Record<string, string>>;
  /** Value of a named condition from the template's `Conditions`. */
  condition(name: string, at: string): boolean;
  readonly mappings?: Readonly<Record<string, Record<string, Record<string, unknown>>>>;
}

/** Marks a value that must disappear from its parent (`Ref: AWS::NoValue`). */
const NO_VALUE = Symbol('AWS::NoValue');

function fail(at: string, message: string): never {
  throw new LocalRuntimeError(`${at}: ${message}`);
}

function asString(value: unknown, at: string, what: string): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return fail(at, `${what} must resolve to a string, got ${JSON.stringify(value)}`);
}

function asArray(value: unknown, at: string, what: string): unknown[] {
  if (Array.isArray(value)) return value;
  return fail(at, `${what} must be a list, got ${JSON.stringify(value)}`);
}

/** Replaces `${Name}` / `${Name.Attr}` in a `Fn::Sub` string; `${!Literal}` stays as `${Literal}`. */
function substitute(
  text: string,
  variables: Record<string, unknown>,
  ctx: ResolveContext,
  at: string,
): string {
  return text.replace(/\$\{([^}]*)\}/g, (_whole, name: string) => {
    if (name.startsWith('!')) return `\${${name.slice(1)}}`;
    if (name in variables) return asString(variables[name], at, `Fn::Sub variable ${name}`);
    if (name in ctx.pseudo) return ctx.pseudo[name] as string;
    const dot = name.indexOf('.');
    if (dot > 0) return asString(ctx.getAtt(name.slice(0, dot), name.slice(dot + 1), at), at, `\${${name}}`);
    return asString(ctx.ref(name, at), at, `\${${name}}`);
  });
}

function resolveFunction(name: string, args: unknown, ctx: ResolveContext, at: string): unknown {
  const here = `${at}.${name}`;
  switch (name) {
    case 'Ref': {
      const target = asString(args, here, 'Ref target');
      if (target === 'AWS::NoValue') return NO_VALUE;
      if (target.startsWith('AWS::')) {
        const value = ctx.pseudo[target];
        return value ?? fail(here, `pseudo parameter ${target} is not supported locally`);
      }
      return ctx.ref(target, here);
    }
    case 'Fn::GetAtt': {
      const parts =
        typeof args === 'string' ? args.split(/\.(.*)/s).slice(0, 2) : asArray(args, here, 'Fn::GetAtt');
      const [logicalId, attribute] = parts.map((p) =>
        asString(resolveValue(p, ctx, here), here, 'Fn::GetAtt part'),
      );
      if (!logicalId || !attribute) fail(here, `malformed Fn::GetAtt ${JSON.stringify(args)}`);
      return ctx.getAtt(logicalId, attribute, here);
    }
    case 'Fn::Join': {
      const [delimiter, list] = asArray(args, here, 'Fn::Join');
      const items = asArray(resolveValue(list, ctx, here), here, 'Fn::Join list');
      return items
        .map((item) => asString(item, here, 'Fn::Join item'))
        .join(asString(delimiter, here, 'delimiter'));
    }
    case 'Fn::Sub': {
      if (typeof args === 'string') return substitute(args, {}, ctx, here);
      const [text, variables] = asArray(args, here, 'Fn::Sub');
      const resolvedVars = resolveValue(variables ?? {}, ctx, here) as Record<string, unknown>;
      return substitute(asString(text, here, 'Fn::Sub string'), resolvedVars, ctx, here);
    }
    case 'Fn::Select': {
      const [index, list] = asArray(args, here, 'Fn::Select');
      const items = asArray(resolveValue(list, ctx, here), here, 'Fn::Select list');
      const i = Number(resolveValue(index, ctx, here));
      if (!Number.isInteger(i) || i < 0 || i >= items.length)
        fail(here, `index ${i} out of range (${items.length})`);
      return items[i];
    }
    case 'Fn::Split': {
      const [delimiter, source] = asArray(args, here, 'Fn::Split');
      return asString(resolveValue(source, ctx, here), here, 'Fn::Split source').split(
        asString(delimiter, here, 'delimiter'),
      );
    }
    case 'Fn::If': {
      const [condition, whenTrue, whenFalse] = asArray(args, here, 'Fn::If');
      return resolveValue(
        ctx.condition(asString(condition, here, 'condition'), here) ? whenTrue : whenFalse,
        ctx,
        here,
      );
    }
    case 'Fn::Equals': {
      const [a, b] = asArray(args, here, 'Fn::Equals').map((v) => resolveValue(v, ctx, here));
      return JSON.stringify(a) === JSON.stringify(b);
    }
    case 'Fn::And':
      return asArray(args, here, 'Fn::And').every((v) => resolveValue(v, ctx, here) === true);
    case 'Fn::Or':
      return asArray(args, here, 'Fn::Or').some((v) => resolveValue(v, ctx, here) === true);
    case 'Fn::Not':
      return resolveValue(asArray(args, here, 'Fn::Not')[0], ctx, here) !== true;
    case 'Condition':
      return ctx.condition(asString(args, here, 'condition'), here);
    case 'Fn::Base64':
      return Buffer.from(asString(resolveValue(args, ctx, here), here, 'Fn::Base64 input')).toString(
        'base64',
      );
    case 'Fn::FindInMap': {
      const [map, top, second] = asArray(resolveValue(args, ctx, here), here, 'Fn::FindInMap').map((v) =>
        asString(v, here, 'Fn::FindInMap key'),
      );
      const value = ctx.mappings?.[map ?? '']?.[top ?? '']?.[second ?? ''];
      return value ?? fail(here, `no mapping ${map}.${top}.${second}`);
    }
    default:
      return fail(here, `intrinsic function ${name} is not supported by the local runtime`);
  }
}

/** Resolves every intrinsic function in `value`; `at` names the place for error messages. */
export function resolveValue(value: unknown, ctx: ResolveContext, at: string): unknown {
  if (Array.isArray(value)) {
    return value.map((item, i) => resolveValue(item, ctx, `${at}[${i}]`)).filter((item) => item !== NO_VALUE);
  }
  if (value === null || typeof value !== 'object') return value;
  const entries = Object.entries(value);
  const [first] = entries;
  if (
    entries.length === 1 &&
    first &&
    (first[0] === 'Ref' || first[0].startsWith('Fn::') || first[0] === 'Condition')
  ) {
    return resolveFunction(first[0], first[1], ctx, at);
  }
  const out: Record<string, unknown> = {};
  for (const [key, child] of entries) {
    const resolved = resolveValue(child, ctx, `${at}.${key}`);
    if (resolved !== NO_VALUE) out[key] = resolved;
  }
  return out;
}

/** Resolves `value` and fails when the result still is not a string. */
export function resolveString(value: unknown, ctx: ResolveContext, at: string): string {
  return asString(resolveValue(value, ctx, at), at, 'value');
}

/** Logical ids that `value` references through `Ref`, `Fn::GetAtt` and `Fn::Sub` (pseudo parameters excluded). */
export function referencedIds(value: unknown, found: Set<string> = new Set()): Set<string> {
  if (Array.isArray(value)) {
    for (const item of value) referencedIds(item, found);
    return found;
  }
  if (value === null || typeof value !== 'object') return found;
  for (const [key, child] of Object.entries(value)) {
    if (key === 'Ref' && typeof child === 'string' && !child.startsWith('AWS::')) found.add(child);
    else if (key === 'Fn::GetAtt') {
      const id =
        typeof child === 'string' ? child.split('.')[0] : Array.isArray(child) ? child[0] : undefined;
      if (typeof id === 'string') found.add(id);
      else referencedIds(child, found);
    } else if (key === 'Fn::Sub') {
      const [text, variables] =
        typeof child === 'string' ? [child, {}] : Array.isArray(child) ? child : [undefined, {}];
      const local = new Set(Object.keys((variables as Record<string, unknown>) ?? {}));
      if (typeof text === 'string') {
        for (const match of text.matchAll(/\$\{([^}!][^}]*)\}/g)) {
          const name = (match[1] ?? '').split('.')[0] ?? '';
          if (!name.startsWith('AWS::') && !local.has(name)) found.add(name);
        }
      }
      referencedIds(variables, found);
    } else referencedIds(child, found);
  }
  return found;
}
