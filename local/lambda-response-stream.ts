import { PassThrough, type Readable } from 'node:stream';
import type { InvokeResult, LambdaPool } from './lambda-pool.ts';

/** A streamed Lambda response as the gateway forwards it: status and headers at once, the body as written. */
export interface StreamedResponse {
  readonly statusCode: number;
  readonly headers: Record<string, string>;
  readonly body: Readable;
}

/**
 * Invokes like API Gateway's Lambda proxy integration, streaming when the handler is streamified (the
 * `response-streaming-invocations` integration): a streaming handler's response settles as soon as it
 * writes (or ends), with status and headers, and its body carries each chunk as it comes, with
 * backpressure back to the handler; a failure after that cuts the body short. A handler that does not
 * stream settles with its proxy result. `'timeout'` when neither comes within `timeoutMs`.
 */
export async function invokeWithResponseStream(
  pool: LambdaPool,
  functionName: string,
  event: unknown,
  timeoutMs: number,
): Promise<InvokeResult | StreamedResponse | 'timeout'> {
  const body = new PassThrough();
  let started = false;
  let onHead: (response: StreamedResponse) => void = () => {};
  const streamed = new Promise<StreamedResponse>((resolve) => {
    onHead = resolve;
  });
  const result = pool.invoke(functionName, event, {
    head: ({ statusCode, headers }) => {
      started = true;
      onHead({ statusCode, headers: { ...headers }, body });
    },
    write: (chunk) =>
      body.write(chunk) || body.destroyed
        ? Promise.resolve()
        : new Promise((resolve) => body.once('drain', resolve).once('close', resolve)),
  });
  void result.then((outcome) => {
    if (!started) return;
    if (outcome.ok) body.end();
    else body.destroy(new Error(`${outcome.error.errorType}: ${outcome.error.errorMessage}`));
  });
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs);
  });
  try {
    return await Promise.race([result, streamed, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
