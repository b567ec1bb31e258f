import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A request the merchant's test endpoint received. */
export interface ReceivedWebhook {
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  readonly status: number;
}

/**
 * A merchant's webhook endpoint on 127.0.0.1: answers `statusFor(n)` to the n-th request (1-based)
 * after `latencyMs`, and keeps every request.
 */
export async function startMerchantServer(
  statusFor: (n: number) => number | 'hang' = () => 200,
  latencyMs = 0,
): Promise<{ url: string; received: ReceivedWebhook[]; stop(): Promise<void> }> {
  const received: ReceivedWebhook[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const status = statusFor(received.length + 1);
      received.push({
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        status: status === 'hang' ? 0 : status,
      });
      if (status === 'hang') return;
      if (status >= 300 && status < 400) res.setHeader('location', 'http://127.0.0.1:1/elsewhere');
      setTimeout(() => res.writeHead(status).end(), latencyMs);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks`,
    received,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
