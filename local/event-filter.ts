import { LocalRuntimeError } from './errors.ts';

/** A Lambda event filter pattern (the JSON of one `FilterCriteria.Filters[].Pattern`). */
export type FilterPattern = Readonly<Record<string, unknown>>;

const OPERATORS = new Set(['prefix', 'suffix', 'anything-but', 'numeric', 'exists', 'equals-ignore-case']);

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Parses and checks a pattern; unknown operators are an error rather than a filter that silently passes all. */
export function parseFilterPattern(text: string, at: string): FilterPattern {
  let pattern: unknown;
  try {
    pattern = JSON.parse(text);
  } catch {
    throw new LocalRuntimeError(`${at}: filter pattern is not JSON: ${text}`);
  }
  if (!isObject(pattern)) throw new LocalRuntimeError(`${at}: filter pattern must be a JSON object`);
  checkPattern(pattern, at);
  return pattern;
}

function checkPattern(pattern: Record<string, unknown>, at: string): void {
  for (const [key, value] of Object.entries(pattern)) {
    if (key === '$or') {
      if (!Array.isArray(value)) throw new LocalRuntimeError(`${at}: $or needs a list of patterns`);
      for (const sub of value) {
        if (!isObject(sub)) throw new LocalRuntimeError(`${at}: $or needs a list of patterns`);
        checkPattern(sub, at);
      }
    } else if (isObject(value)) checkPattern(value, `${at}.${key}`);
    else if (Array.isArray(value)) {
      for (const matcher of value) {
        if (!isObject(matcher)) continue;
        const [operator, ...rest] = Object.keys(matcher);
        if (!operator || rest.length > 0 || !OPERATORS.has(operator)) {
          throw new LocalRuntimeError(
            `${at}.${key}: filter operator ${JSON.stringify(matcher)} is not supported locally`,
          );
        }
      }
    } else throw new LocalRuntimeError(`${at}.${key}: pattern values must be lists or objects`);
  }
}

function compare(op: string, actual: number, bound: number): boolean {
  switch (op) {
    case '=':
      return actual === bound;
    case '<':
      return actual < bound;
    case '<=':
      return actual <= bound;
    case '>':
      return actual > bound;
    case '>=':
      return actual >= bound;
    default:
      throw new LocalRuntimeError(`numeric filter operator ${op} is not supported`);
  }
}

function matchesOne(matcher: unknown, actual: unknown): boolean {
  if (!isObject(matcher)) return matcher === actual;
  const [[operator, operand] = []] = Object.entries(matcher);
  switch (operator) {
    case 'prefix':
      return typeof actual === 'string' && typeof operand === 'string' && actual.startsWith(operand);
    case 'suffix':
      return typeof actual === 'string' && typeof operand === 'string' && actual.endsWith(operand);
    case 'equals-ignore-case':
      return (
        typeof actual === 'string' &&
        typeof operand === 'string' &&
        actual.toLowerCase() === operand.toLowerCase()
      );
    case 'anything-but':
      if (isObject(operand)) return !matchesOne(operand, actual);
      return actual !== undefined && !(Array.isArray(operand) ? operand : [operand]).includes(actual);
    case 'numeric': {
      if (typeof actual !== 'number' || !Array.isArray(operand)) return false;
      for (let i = 0; i + 1 < operand.length; i += 2) {
        if (!compare(String(operand[i]), actual, Number(operand[i + 1]))) return false;
      }
      return true;
    }
    default:
      return false;
  }
}

function matchesField(matchers: unknown[], actual: unknown, present: boolean): boolean {
  for (const matcher of matchers) {
    if (isObject(matcher) && 'exists' in matcher) {
      if (matcher.exists === present) return true;
      continue;
    }
    if (!present) continue;
    const values = Array.isArray(actual) ? actual : [actual];
    if (values.some((value) => matchesOne(matcher, value))) return true;
  }
  return false;
}

/** Whether `event` matches `pattern` (every key must match; lists are alternatives; `$or` any sub-pattern). */
export function matchesPattern(pattern: FilterPattern, event: unknown): boolean {
  const record = isObject(event) ? event : {};
  for (const [key, expected] of Object.entries(pattern)) {
    if (key === '$or') {
      if (!(expected as FilterPattern[]).some((sub) => matchesPattern(sub, event))) return false;
      continue;
    }
    const present = key in record && record[key] !== undefined;
    const actual = record[key];
    if (isObject(expected)) {
      if (!present || !matchesPattern(expected, actual)) return false;
    } else if (!matchesField(expected as unknown[], actual, present)) return false;
  }
  return true;
}

/** Whether `event` passes any of `patterns`; no patterns means no filtering. */
export function passesFilters(patterns: readonly FilterPattern[], event: unknown): boolean {
  return patterns.length === 0 || patterns.some((pattern) => matchesPattern(pattern, event));
}
