import type { Readable } from 'node:stream';

/**
 * A response the local API Gateway writes: its own errors, a Lambda proxy result, a mock integration, or a
 * streamed Lambda response (its body a stream, forwarded as it is written).
 */
export interface GatewayResponse {
  readonly statusCode: number;
  readonly headers: Record<string, string | string[]>;
  readonly body: Buffer | string | Readable;
}

/** An error API Gateway answers by itself: a JSON body and the `x-amzn-ErrorType` header. */
export function gatewayError(
  statusCode: number,
  errorType: string,
  body: Record<string, unknown>,
): GatewayResponse {
  return {
    statusCode,
    headers: { 'content-type': 'application/json', 'x-amzn-errortype': errorType },
    body: JSON.stringify(body),
  };
}
