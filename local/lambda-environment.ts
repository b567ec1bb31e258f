import { randomUUID } from 'node:crypto';
import { availableParallelism } from 'node:os';
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
  /** Most environments per function when it has no reserved concurrency (queued beyond); default `environmentsPerFunction()`. */
  readonly maxEnvironmentsPerFunction?: number;
  /** The `process.env` of a new environment (e.g. a DynamoDB endpoint that names it); default: the spec's. */
  readonly environmentEnv?: (
    environmentId: string,
    env: Readonly<Record<string, string>>,
  ) => Record<string, string>;
}

/** Overrides the default number of execution environments per function (1 … 10). */
export const ENVIRONMENTS_SWITCH = 'LEDGERLINE_LOCAL_ENVIRONMENTS';

/**
 * Environments per function unless the function reserves concurrency: one more than the machine's cores
 * (2 … 10), or `LEDGERLINE_LOCAL_ENVIRONMENTS`. Every environment is its own V8 isolate that compiles the
 * bundle's hot paths (the SDK's above all) for itself: ten per function on two cores kept the saga's ~130
 * isolates cold and half the machine collecting garbage, and 20 payments in flight settled slower than one.
 * Beyond the cores, more environments only queue for CPU; invocations past the cap wait for a free one.
 */
export function environmentsPerFunction(
  cores = availableParallelism(),
  env: Readonly<Record<string, string | undefined>> = process.env,
): number {
  const given = Number(env[ENVIRONMENTS_SWITCH]);
  if (Number.isInteger(given) && given >= 1) return Math.min(given, 10);
  return Math.min(10, Math.max(2, cores + 1));
}

let environmentCount = 0;

/** One warm execution environment. */
export class Environment {
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
