import { randomUUID } from 'node:crypto';
import type { FunctionSpec, InvokeResult, LambdaPoolOptions, ResponseSink } from './lambda-environment.ts';
import { Environment, environmentsPerFunction } from './lambda-environment.ts';
import type { InvokeRequest } from './lambda-protocol.ts';
import { functionNameFromArnOrName } from './naming.ts';

export type {
  FunctionSpec,
  InvokeResult,
  LambdaPoolOptions,
  LogSink,
  ResponseSink,
} from './lambda-environment.ts';
export {
  defaultLogSink,
  ENVIRONMENTS_SWITCH,
  environmentsPerFunction,
} from './lambda-environment.ts';
export type { FunctionError } from './lambda-protocol.ts';

/** Per-function state: warm idle environments, busy count, and invocations waiting for a slot. */
interface FunctionState {
  readonly spec: FunctionSpec;
  readonly idle: Environment[];
  readonly all: Set<Environment>;
  busy: number;
  readonly waiting: (() => void)[];
  /** Invocations started, and execution environments created for them (cold starts). */
  invocations: number;
  coldStarts: number;
}

/** What a function did since the pool started: invocations and cold starts (environments created). */
export interface FunctionCounts {
  readonly invocations: number;
  readonly coldStarts: number;
}

/** Runs functions from their bundles, each environment in its own worker thread with its own `process.env`. */
export class LambdaPool {
  readonly #options: LambdaPoolOptions;
  /** Environments per function without reserved concurrency: read once (it reads the machine and the environment). */
  readonly #environmentCap: number;
  readonly #functions = new Map<string, FunctionState>();
  readonly #environments = new Map<string, Environment>();
  #nextId = 1;
  #stopped = false;

  constructor(options: LambdaPoolOptions) {
    this.#options = options;
    this.#environmentCap = options.maxEnvironmentsPerFunction ?? environmentsPerFunction();
  }

  /** Adds a function; nothing starts until its first invocation. */
  register(spec: FunctionSpec): void {
    this.#functions.set(spec.name, {
      spec,
      idle: [],
      all: new Set(),
      busy: 0,
      waiting: [],
      invocations: 0,
      coldStarts: 0,
    });
  }

  /** The function with this name or ARN (qualifier ignored). */
  find(nameOrArn: string): FunctionSpec | undefined {
    return this.#functions.get(functionNameFromArnOrName(nameOrArn))?.spec;
  }

  /** All registered functions. */
  list(): FunctionSpec[] {
    return [...this.#functions.values()].map((f) => f.spec);
  }

  /**
   * Invokes synchronously (RequestResponse), like `lambda:Invoke`; a streaming handler's response goes to
   * `sink` as it is written (`InvokeWithResponseStream`), and the result settles when the handler is done.
   */
  async invoke(nameOrArn: string, event: unknown, sink?: ResponseSink): Promise<InvokeResult> {
    const state = this.#functions.get(functionNameFromArnOrName(nameOrArn));
    if (!state) throw new Error(`Function not found: ${nameOrArn}`);
    if (this.#stopped) throw new Error('The local runtime is stopping');
    const limit = state.spec.reservedConcurrency;
    if (limit !== undefined && state.busy >= limit) {
      return {
        ok: false,
        error: { errorType: 'TooManyRequestsException', errorMessage: 'Rate Exceeded.', trace: [] },
      };
    }
    const cap = limit ?? this.#environmentCap;
    while (state.busy >= cap) await new Promise<void>((resolve) => state.waiting.push(resolve));
    state.busy++;
    state.invocations++;
    try {
      return await this.#runOnce(state, event, sink);
    } finally {
      state.busy--;
      state.waiting.shift()?.();
    }
  }

  async #runOnce(state: FunctionState, event: unknown, sink?: ResponseSink): Promise<InvokeResult> {
    const { spec } = state;
    let environment = state.idle.pop();
    if (!environment || environment.dead) {
      environment = new Environment(spec, this.#options);
      state.coldStarts++;
      state.all.add(environment);
      this.#environments.set(environment.id, environment);
      const initError = await environment.ready;
      if (initError) {
        state.all.delete(environment);
        this.#environments.delete(environment.id);
        await environment.stop();
        return { ok: false, error: initError };
      }
    }
    const requestId = randomUUID();
    const timeoutMs = spec.timeoutSeconds * 1000;
    const request: InvokeRequest = {
      id: this.#nextId++,
      requestId,
      deadlineMs: Date.now() + timeoutMs,
      event,
    };
    const message = `${requestId} Task timed out after ${spec.timeoutSeconds.toFixed(2)} seconds`;
    const result = await environment.run(request, timeoutMs, message, sink);
    if (environment.dead || this.#stopped) {
      state.all.delete(environment);
      this.#environments.delete(environment.id);
    } else {
      state.idle.push(environment);
    }
    return result;
  }

  /** Invocations and cold starts per function name, of the functions invoked at least once. */
  counts(): Record<string, FunctionCounts> {
    const counts: Record<string, FunctionCounts> = {};
    for (const [name, { invocations, coldStarts }] of this.#functions) {
      if (invocations > 0) counts[name] = { invocations, coldStarts };
    }
    return counts;
  }

  /** Invocations running or waiting for an environment, over every function. */
  inFlight(): number {
    return [...this.#functions.values()].reduce((n, f) => n + f.busy + f.waiting.length, 0);
  }

  /** The name of the function environment `environmentId` runs. */
  functionOf(environmentId: string): string | undefined {
    return this.#environments.get(environmentId)?.functionName;
  }

  /** Counts a write made by environment `environmentId`; whether it is the first of its current invocation. */
  firstWrite(environmentId: string): boolean {
    const environment = this.#environments.get(environmentId);
    if (!environment || environment.dead) return false;
    return environment.writes++ === 0;
  }

  /** Crashes the invocation environment `environmentId` is running (Runtime.ExitError to its caller). */
  crash(environmentId: string, message: string): void {
    this.#environments.get(environmentId)?.crash(message);
  }

  /** The invocation environment `environmentId` is running runs on, but its caller sees Sandbox.Timedout. */
  timeOut(environmentId: string): void {
    const environment = this.#environments.get(environmentId);
    if (environment) environment.timedOut = true;
  }

  /** Terminates every environment. */
  async stop(): Promise<void> {
    this.#stopped = true;
    const all = [...this.#functions.values()].flatMap((f) => [...f.all]);
    await Promise.all(all.map((environment) => environment.stop()));
  }
}
