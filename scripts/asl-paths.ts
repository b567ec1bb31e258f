/** Reading an ASL definition: the happy path and the states reachable from a state (for tests and the bench). */

type Json = Record<string, unknown>;
export type StateMachineJson = { StartAt: string; States: Record<string, Json> };

/** States entered on the path where every task succeeds and every Choice takes its Default. */
export function happyPath(definition: StateMachineJson): string[] {
  const path: string[] = [];
  let name: string | undefined = definition.StartAt;
  while (name !== undefined) {
    if (path.includes(name)) throw new Error(`The happy path loops at ${name}`);
    path.push(name);
    const state: Json | undefined = definition.States[name];
    if (!state) throw new Error(`State ${name} does not exist`);
    if (state.End === true || state.Type === 'Succeed' || state.Type === 'Fail') break;
    name = (state.Type === 'Choice' ? state.Default : state.Next) as string | undefined;
  }
  return path;
}

/** Every state a state can lead to (Next, Default, Choices, Catch), itself excluded unless on a cycle. */
export function reachableFrom(definition: StateMachineJson, start: string): Set<string> {
  const seen = new Set<string>();
  const queue = [...successors(definition.States[start] ?? {})];
  while (queue.length > 0) {
    const name = queue.shift() as string;
    if (seen.has(name)) continue;
    seen.add(name);
    queue.push(...successors(definition.States[name] ?? {}));
  }
  return seen;
}

/** The targets of a state's Catch clauses, in order, with the errors each catches. */
export function catchesOf(state: Json): { errors: string[]; next: string }[] {
  return ((state.Catch as { ErrorEquals: string[]; Next: string }[] | undefined) ?? []).map((c) => ({
    errors: c.ErrorEquals,
    next: c.Next,
  }));
}

function successors(state: Json): string[] {
  const next: string[] = [];
  if (typeof state.Next === 'string') next.push(state.Next);
  if (typeof state.Default === 'string') next.push(state.Default);
  for (const choice of (state.Choices as { Next: string }[] | undefined) ?? []) next.push(choice.Next);
  for (const c of catchesOf(state)) next.push(c.next);
  return next;
}
