// Runs one Lambda execution environment inside a worker thread: loads the bundle once, then serves
// invocations from the pool one at a time, like the Lambda runtime interface client.
import { once } from 'node:events';
import { registerHooks } from 'node:module';
import { Writable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { parentPort, workerData } from 'node:worker_threads';
import type { InvokeRequest, PoolMessage, StreamHead, WorkerInit, WorkerMessage } from './lambda-protocol.ts';

const init = workerData as WorkerInit;
const port = parentPort;
if (!port) throw new Error('lambda-worker.ts must run in a worker thread');

process.setSourceMapsEnabled(true);

// The Lambda Node.js runtime provides the AWS SDK v3, so bundles leave `@aws-sdk/*` external.
// Resolve it from the project instead, as /var/runtime/node_modules would be on AWS.
registerHooks({
  resolve(specifier, context, nextResolve) {
    try {
      return nextResolve(specifier, context);
    } catch (error) {
      if (!specifier.startsWith('@aws-sdk/') && !specifier.startsWith('@smithy/')) throw error;
      return nextResolve(specifier, { ...context, parentURL: init.runtimeModulesFrom });
    }
  },
});

function describeError(error: unknown): { errorType: string; errorMessage: string; trace: string[] } {
  if (error instanceof Error) {
    return { errorType: error.name, errorMessage: error.message, trace: (error.stack ?? '').split('\n') };
  }
  return { errorType: 'Error', errorMessage: String(error), trace: [] };
}

function post(message: WorkerMessage): void {
  port?.postMessage(message);
}

/** A handler: `(event, context)`, or `(event, responseStream, context)` when streamified. */
type Handler = (event: unknown, ...rest: unknown[]) => unknown;

/** How the Lambda Node.js runtime marks a handler wrapped by `awslambda.streamifyResponse`. */
const STREAMING = Symbol.for('aws.lambda.runtime.handler.streaming');
/** The write callback of each invocation's streamed chunk, until the pool has passed the chunk on. */
const waitingForAck = new Map<number, () => void>();

/**
 * The `responseStream` of a streaming handler: each chunk goes to the pool as it is written, and the
 * next write waits until the pool has handed it on (so a slow client slows the handler, as on AWS).
 */
class ResponseStream extends Writable {
  readonly #id: number;
  #head: StreamHead = { statusCode: 200, headers: { 'content-type': 'application/octet-stream' } };
  #headSent = false;

  constructor(id: number) {
    super();
    this.#id = id;
  }

  setContentType(contentType: string): void {
    this.#head = { ...this.#head, headers: { ...this.#head.headers, 'content-type': contentType } };
  }

  /** `HttpResponseStream.from`: the status and headers API Gateway sends before the body. */
  setHead(metadata: { statusCode?: unknown; headers?: unknown }): void {
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(metadata.headers ?? {}))
      headers[name.toLowerCase()] = String(value);
    this.#head = { statusCode: Number(metadata.statusCode ?? 200), headers };
  }

  #sendHead(): void {
    if (this.#headSent) return;
    this.#headSent = true;
    post({ type: 'stream-head', id: this.#id, head: this.#head });
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.#sendHead();
    waitingForAck.set(this.#id, () => callback());
    post({ type: 'stream-chunk', id: this.#id, chunk: new Uint8Array(chunk) });
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.#sendHead();
    callback();
  }
}

// The globals the Lambda Node.js runtime gives a bundle for response streaming.
Object.assign(globalThis, {
  awslambda: {
    streamifyResponse: (handler: Handler) => Object.assign(handler, { [STREAMING]: 'response' }),
    HttpResponseStream: {
      from(stream: ResponseStream, metadata: { statusCode?: unknown; headers?: unknown }): ResponseStream {
        stream.setHead(metadata);
        return stream;
      },
    },
  },
});

async function loadHandler(): Promise<Handler> {
  const module = (await import(pathToFileURL(init.entryFile).href)) as Record<string, unknown>;
  const handler = module[init.exportName];
  if (typeof handler !== 'function') {
    throw Object.assign(new Error(`${init.handler} is undefined or not exported`), {
      name: 'Runtime.HandlerNotFound',
    });
  }
  return handler as Handler;
}

async function invoke(handler: Handler, request: InvokeRequest): Promise<void> {
  const context = {
    functionName: init.functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: init.functionArn,
    memoryLimitInMB: String(init.memoryMb),
    awsRequestId: request.requestId,
    logGroupName: init.logGroupName,
    logStreamName: init.logStreamName,
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, request.deadlineMs - Date.now()),
  };
  try {
    if (STREAMING in handler) {
      const stream = new ResponseStream(request.id);
      await handler(request.event, stream, context);
      if (!stream.writableFinished) await Promise.race([once(stream.end(), 'finish'), once(stream, 'error')]);
      post({ type: 'result', id: request.id, payload: 'null' });
      return;
    }
    const result = await handler(request.event, context);
    post({ type: 'result', id: request.id, payload: JSON.stringify(result ?? null) });
  } catch (error) {
    post({ type: 'error', id: request.id, error: describeError(error) });
  }
}

try {
  const handler = await loadHandler();
  port.on('message', (message: PoolMessage) => {
    if ('type' in message) {
      const acknowledge = waitingForAck.get(message.id);
      waitingForAck.delete(message.id);
      acknowledge?.();
    } else void invoke(handler, message);
  });
  post({ type: 'ready' });
} catch (error) {
  const described = describeError(error);
  if (!described.errorType.startsWith('Runtime.')) described.errorType = 'Runtime.ImportModuleError';
  post({ type: 'init-error', error: described });
}
