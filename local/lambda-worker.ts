// Runs one Lambda execution environment inside a worker thread: loads the bundle once, then serves
// invocations from the pool one at a time, like the Lambda runtime interface client.
import { registerHooks } from 'node:module';
import { pathToFileURL } from 'node:url';
import { parentPort, workerData } from 'node:worker_threads';
import type { InvokeRequest, WorkerInit, WorkerMessage } from './lambda-protocol.ts';

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

type Handler = (event: unknown, context: unknown) => unknown;

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
    const result = await handler(request.event, context);
    post({ type: 'result', id: request.id, payload: JSON.stringify(result ?? null) });
  } catch (error) {
    post({ type: 'error', id: request.id, error: describeError(error) });
  }
}

try {
  const handler = await loadHandler();
  port.on('message', (request: InvokeRequest) => void invoke(handler, request));
  post({ type: 'ready' });
} catch (error) {
  const described = describeError(error);
  if (!described.errorType.startsWith('Runtime.')) described.errorType = 'Runtime.ImportModuleError';
  post({ type: 'init-error', error: described });
}
