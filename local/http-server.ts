import type { IncomingMessage, Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** An AWS JSON protocol error: `__type` and message, as the SDK reads them. */
export class AwsJsonError extends Error {
  readonly type: string;
  constructor(type: string, message: string) {
    super(message);
    this.type = type;
  }
}

/** A request body over the limit a caller set: nothing beyond the limit was kept. */
export class BodyTooLargeError extends Error {
  override readonly name = 'BodyTooLargeError';
}

/**
 * The whole request body, up to `maxBytes`: a longer body rejects with BodyTooLargeError as soon as
 * it passes the limit (a Content-Length over it at once) and the rest is drained, never buffered.
 */
export function readBody(request: IncomingMessage, maxBytes = Number.POSITIVE_INFINITY): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(request.headers['content-length']);
    if (Number.isFinite(declared) && declared > maxBytes) {
      request.resume();
      reject(new BodyTooLargeError(`The body declares ${declared} bytes, over ${maxBytes}`));
      return;
    }
    const chunks: Buffer[] = [];
    let length = 0;
    let over = false;
    request.on('data', (chunk: Buffer) => {
      if (over) return;
      length += chunk.length;
      if (length > maxBytes) {
        over = true;
        chunks.length = 0;
        reject(new BodyTooLargeError(`The body is over ${maxBytes} bytes`));
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => {
      if (!over) resolve(Buffer.concat(chunks));
    });
    request.on('error', reject);
  });
}

/** Listens on `host:port` (0: a free port) and resolves with the bound port. */
export function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve((server.address() as AddressInfo).port));
  });
}

/** Closes the server now, dropping kept-alive connections instead of waiting for them. */
export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });
}

/** Host names the local servers answer to: a page on another name (DNS rebinding) never reaches them. */
const LOOPBACK_NAMES: ReadonlySet<string> = new Set(['localhost', '127.0.0.1', '[::1]']);

/** Whether a Host header names a loopback host (any port). */
export function isLoopbackHost(host: string | undefined): boolean {
  const value = (host ?? '').trim().toLowerCase();
  const name = value.startsWith('[') ? value.slice(0, value.indexOf(']') + 1) : (value.split(':')[0] ?? '');
  return LOOPBACK_NAMES.has(name);
}
