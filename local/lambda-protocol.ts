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

/** The status and headers of a streamed response (`awslambda.HttpResponseStream.from`, or the defaults). */
export interface StreamHead {
  readonly statusCode: number;
  readonly headers: Readonly<Record<string, string>>;
}

/** Messages from a worker to the pool. A streaming handler's head and chunks come before its `result`. */
export type WorkerMessage =
  | { type: 'ready' }
  | { type: 'init-error'; error: FunctionError }
  | { type: 'result'; id: number; payload: string }
  | { type: 'error'; id: number; error: FunctionError }
  | { type: 'stream-head'; id: number; head: StreamHead }
  | { type: 'stream-chunk'; id: number; chunk: Uint8Array };

/** Messages from the pool to a worker: an invocation, or the go-ahead for a streamed chunk's next write. */
export type PoolMessage = InvokeRequest | { type: 'stream-ack'; id: number };
