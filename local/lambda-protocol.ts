/** What a Lambda execution environment (worker) is told at start. */
export interface WorkerInit {
  readonly entryFile: string;
  readonly exportName: string;
  readonly handler: string;
  readonly functionName: string;
  readonly functionArn: string;
  readonly memoryMb: number;
  readonly logGroupName: string;
  readonly logStreamName: string;
  /** A file URL inside the project; `@aws-sdk/*` is resolved from there when the bundle leaves it external. */
  readonly runtimeModulesFrom: string;
}

/** One invocation sent to a worker. */
export interface InvokeRequest {
  readonly id: number;
  readonly requestId: string;
  readonly deadlineMs: number;
  readonly event: unknown;
}

/** A Lambda function error as the Invoke API reports it. */
export interface FunctionError {
  errorType: string;
  errorMessage: string;
  trace: string[];
}

/** Messages from a worker to the pool. */
export type WorkerMessage =
  | { type: 'ready' }
  | { type: 'init-error'; error: FunctionError }
  | { type: 'result'; id: number; payload: string }
  | { type: 'error'; id: number; error: FunctionError };
