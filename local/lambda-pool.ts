import { randomUUID } from 'node:crypto';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type {
  FunctionError,
  InvokeRequest,
  PoolMessage,
  StreamHead,
  WorkerInit,
  WorkerMessage,
} from './lambda-protocol.ts';
import { functionNameFromArnOrName } from './naming.ts';

export type { FunctionError } from './lambda-protocol.ts';

/** A function as the pool runs it: resolved from the template and the asset on disk. */
export interface FunctionSpec {
  readonly logicalId: string;
  readonly name: string;
  readonly arn: string;
  readonly entryFile: string;
  readonly exportName: string;
  readonly handler: string;
  readonly timeoutSeconds: number;
  readonly memoryMb: number;
  /** The whole `process.env` of the worker. */
  readonly env: Readonly<Record<string, string>>;
  /** `ReservedConcurrentExecutions`: beyond it an invocation is throttled, as on AWS. */
  readonly reservedConcurrency?: number;
}

/** Outcome of one invocation: the parsed result, or the function error. */
export type InvokeResult = { ok: true; payload: unknown } | { ok: false; error: FunctionError };

/** Where a streaming handler's response goes as it is written; `write` settles when the chunk is passed on. */
export interface ResponseSink {
  head(head: StreamHead): void;
  write(chunk: Uint8Array): Promise<void>;
}

/** Receives each line a function prints. */
export type LogSink = (functionName: string, line: string) => void;

export interface LambdaPoolOptions {
  /** Project directory the AWS SDK is resolved from when a bundle leaves it external. */
  readonly projectRoot: string;
  readonly onLog?: LogSink;
  /** Most environments per function when it has no reserved concurrency (queued beyond). */
  readonly maxEnvironmentsPerFunction?: number;
  /** The `process.env` of a new environment (e.g. a DynamoDB endpoint that names it); default: the spec's. */
  readonly environmentEnv?: (
    environmentId: string,
    env: Readonly<Record<string, string>>,
  ) => Record<string, string>;
}

let environmentCount = 0;

/** One warm execution environment. */
class Environment {
  readonly id = `env${++environmentCount}`;
  readonly functionName: string;
  readonly worker: Worker;
  readonly ready: Promise<FunctionError | undefined>;
  #pending: { id: number; settle: (result: InvokeResult) => void; sink?: ResponseSink } | undefined;
  #dead = false;
  /** Writes the current invocation made (counted by a chaos proxy), and whether it is to be reported as timed out. */
  writes = 0;
  timedOut = false;

  constructor(spec: FunctionSpec, options: LambdaPoolOptions) {
    this.functionName = spec.name;
    const init: WorkerInit = {
      entryFile: spec.entryFile,
      exportName: spec.exportName,
      handler: spec.handler,
      functionName: spec.name,
      functionArn: spec.arn,
      memoryMb: spec.memoryMb,
      logGroupName: `/aws/lambda/${spec.name}`,
      logStreamName: `local/${randomUUID()}`,
      runtimeModulesFrom: pathToFileURL(`${options.projectRoot}/package.json`).href,
    };
    this.worker = new Worker(new URL('./lambda-worker.ts', import.meta.url), {
      workerData: init,
      env: options.environmentEnv?.(this.id, spec.env) ?? { ...spec.env },
      stdout: true,
      stderr: true,
      resourceLimits: { maxOldGenerationSizeMb: Math.max(spec.memoryMb, 128) },
      name: spec.name,
    });
    const sink = options.onLog ?? defaultLogSink;
    for (const stream of [this.worker.stdout, this.worker.stderr] as Readable[]) {
      createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY }).on('line', (line) =>
        sink(spec.name, line),
      );
    }
    this.ready = new Promise((resolve) => {
      const onMessage = (message: WorkerMessage) => {
        if (message.type === 'ready') resolve(undefined);
        else if (message.type === 'init-error') resolve(message.error);
        else if (message.type === 'result')
          this.#settle(message.id, { ok: true, payload: JSON.parse(message.payload) });
        else if (message.type === 'error') this.#settle(message.id, { ok: false, error: message.error });
        else this.#stream(message);
      };
      this.worker.on('message', onMessage);
      this.worker.on('error', (error: Error) => {
        const failure = {
          errorType: error.name || 'Runtime.ExitError',
          errorMessage: error.message,
          trace: [],
        };
        resolve(failure);
        this.#fail(failure);
      });
      this.worker.on('exit', (code) => {
        const failure = {
          errorType: 'Runtime.ExitError',
          errorMessage: `Runtime exited with code ${code}`,
          trace: [],
        };
        resolve(failure);
        this.#fail(failure);
      });
    });
  }

  get dead(): boolean {
    return this.#dead;
  }

  /** A streamed response's head or chunk, to the invocation's sink (a chunk nobody takes is dropped). */
  #stream(message: Extract<WorkerMessage, { type: 'stream-head' | 'stream-chunk' }>): void {
    const sink = this.#pending?.id === message.id ? this.#pending.sink : undefined;
    if (message.type === 'stream-head') {
      sink?.head(message.head);
      return;
    }
    const ack: PoolMessage = { type: 'stream-ack', id: message.id };
    void (sink?.write(message.chunk) ?? Promise.resolve()).then(() => {
      if (!this.#dead) this.worker.postMessage(ack);
    });
  }

  /** Runs one invocation; the environment is discarded when it fails at runtime level or times out. */
  run(
    request: InvokeRequest,
    timeoutMs: number,
    timeoutMessage: string,
    sink?: ResponseSink,
  ): Promise<InvokeResult> {
    this.writes = 0;
    this.timedOut = false;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#fail({ errorType: 'Sandbox.Timedout', errorMessage: timeoutMessage, trace: [] });
      }, timeoutMs);
      this.#pending = {
        id: request.id,
        ...(sink ? { sink } : {}),
        settle: (result) => {
          clearTimeout(timer);
          if (!this.timedOut) return resolve(result);
          // The work ran to its end; the caller sees a timeout, and the environment is discarded as on AWS.
          this.#fail({ errorType: 'Sandbox.Timedout', errorMessage: timeoutMessage, trace: [] });
          resolve({
            ok: false,
            error: { errorType: 'Sandbox.Timedout', errorMessage: timeoutMessage, trace: [] },
          });
        },
      };
      this.worker.postMessage(request);
    });
  }

  #settle(id: number, result: InvokeResult): void {
    if (this.#pending?.id !== id) return;
    const { settle } = this.#pending;
    this.#pending = undefined;
    settle(result);
  }

  /** Ends the current invocation at once, as a crash of the runtime would. */
  crash(message: string): void {
    this.#fail({ errorType: 'Runtime.ExitError', errorMessage: message, trace: [] });
  }

  #fail(error: FunctionError): void {
    if (!this.#dead) {
      this.#dead = true;
      void this.worker.terminate();
    }
    if (this.#pending) this.#settle(this.#pending.id, { ok: false, error });
  }

  async stop(): Promise<void> {
    this.#dead = true;
    await this.worker.terminate();
  }
}

/** Where a function's log lines go unless the runtime is given a sink: stdout, prefixed with the function. */
export function defaultLogSink(functionName: string, line: string): void {
  process.stdout.write(`[${functionName}] ${line}\n`);
}

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
  readonly #functions = new Map<string, FunctionState>();
  readonly #environments = new Map<string, Environment>();
  #nextId = 1;
  #stopped = false;

  constructor(options: LambdaPoolOptions) {
    this.#options = options;
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
    const cap = limit ?? this.#options.maxEnvironmentsPerFunction ?? 10;
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
