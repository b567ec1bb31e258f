import { LocalRuntimeError } from './errors.ts';
import { functionNameFromArnOrName } from './naming.ts';

/** How a Task state reaches its function. */
export interface TaskBinding {
  readonly stateName: string;
  /** `invoke`: `arn:aws:states:::lambda:invoke` (result wrapped as the Invoke response); `direct`: a function ARN. */
  readonly kind: 'invoke' | 'direct';
  /** Function name for `direct`; `invoke` reads `FunctionName` from the task input. */
  readonly functionName?: string;
}

type Json = Record<string, unknown>;

/** Applies `DefinitionSubstitutions` textually (`${Key}` → value), as CloudFormation does. */
export function substitute(definition: string, substitutions: Readonly<Record<string, string>>): string {
  return definition.replace(/\$\{([^}]+)\}/g, (whole, key: string) => substitutions[key] ?? whole);
}

function* states(machine: Json, at: string): Generator<[string, Json, string]> {
  for (const [name, state] of Object.entries((machine.States as Record<string, Json> | undefined) ?? {})) {
    const here = `${at}.States.${name}`;
    yield [name, state, here];
    for (const [i, branch] of ((state.Branches as Json[] | undefined) ?? []).entries()) {
      yield* states(branch, `${here}.Branches[${i}]`);
    }
    const processor = (state.ItemProcessor ?? state.Iterator) as Json | undefined;
    if (processor) yield* states(processor, `${here}.ItemProcessor`);
  }
}

/**
 * Checks that the definition uses only what runs locally (JSONPath, Lambda tasks) and binds every Task
 * state to a function. `hasFunction` tells whether a function name exists in the stack.
 */
export function bindTasks(
  definition: Json,
  at: string,
  hasFunction: (name: string) => boolean,
): TaskBinding[] {
  const fail = (where: string, message: string): never => {
    throw new LocalRuntimeError(`${where}: ${message}`);
  };
  if (definition.QueryLanguage === 'JSONata') fail(at, 'JSONata is not supported locally; use JSONPath');
  const bindings = new Map<string, TaskBinding & { resource: string }>();
  for (const [name, state, where] of states(definition, at)) {
    if (state.QueryLanguage === 'JSONata') fail(where, 'JSONata is not supported locally; use JSONPath');
    if (state.Assign !== undefined) fail(where, 'Assign (variables) is not supported locally');
    if (state.Type === 'Map' && (state.ItemReader || state.ResultWriter))
      fail(where, 'distributed Map is not supported locally');
    if (state.Type !== 'Task') continue;
    const resource = String(state.Resource);
    let binding: TaskBinding;
    if (resource === 'arn:aws:states:::lambda:invoke') {
      binding = { stateName: name, kind: 'invoke' };
      const target = (state.Parameters as Json | undefined)?.FunctionName;
      if (typeof target === 'string' && !hasFunction(functionNameFromArnOrName(target))) {
        fail(where, `FunctionName ${target} is not a function of this stack`);
      }
    } else if (/^arn:aws:lambda:[^:]*:[^:]*:function:/.test(resource)) {
      const functionName = functionNameFromArnOrName(resource);
      if (!hasFunction(functionName)) fail(where, `Resource ${resource} is not a function of this stack`);
      binding = { stateName: name, kind: 'direct', functionName };
    } else {
      binding = fail(where, `Task resource ${resource} is not supported locally (only Lambda tasks)`);
    }
    const previous = bindings.get(name);
    if (previous && previous.resource !== resource)
      fail(where, `state name ${name} is used twice with different resources`);
    bindings.set(name, { ...binding, resource });
  }
  return [...bindings.values()].map(({ resource: _resource, ...binding }) => binding);
}

/**
 * A copy of the definition for the ASL library: Task states without a timeout get Lambda's 900 s ceiling,
 * because the library's default (60 s) would time out tasks that AWS lets run (its default is none).
 */
export function forLocalExecution(definition: Json): Json {
  const copy = structuredClone(definition);
  for (const [, state] of states(copy, '')) {
    if (
      state.Type === 'Task' &&
      state.TimeoutSeconds === undefined &&
      state.TimeoutSecondsPath === undefined
    ) {
      state.TimeoutSeconds = 900;
    }
  }
  return copy;
}
