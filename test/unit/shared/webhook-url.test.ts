import { describe, expect, it } from 'vitest';
import {
  isInternalAddress,
  pinnedFetch,
  resolvesInternally,
  webhookUrlProblem,
} from '../../../lambdas/shared/webhook-url.ts';

describe('webhook URLs that embed an IPv4 address in IPv6', () => {
  it.each([
    'https://[::ffff:169.254.169.254]/',
    'https://[::ffff:7f00:1]:3000/',
    'https://[::127.0.0.1]/',
    'https://[::ffff:10.0.0.1]/',
    'https://[64:ff9b::a9fe:a9fe]/',
    'https://[::7f00:1]/',
    'https://[::ffff:0:0]/',
    'https://[64:ff9b::10.0.0.1]/',
  ])('refuses %s', (url) => {
    expect(webhookUrlProblem(url, false)).toMatch(/internal/);
  });

  it('accepts mapped, compatible and NAT64 forms of a public IPv4 address', () => {
    for (const url of ['https://[::ffff:8.8.8.8]/', 'https://[::808:808]/', 'https://[64:ff9b::808:808]/']) {
      expect(webhookUrlProblem(url, false)).toBeNull();
    }
  });
});

describe('public unicast only', () => {
  it.each([
    '0.0.0.0',
    '192.0.2.1',
    '198.18.0.1',
    '203.0.113.9',
    '255.255.255.255',
    '::',
    '::1',
    'fe80::1%eth0',
    'fc00::1',
    'ff02::1',
    '2001:db8::1',
    '2002:7f00:1::',
    '2001::1',
    '64:ff9b:1::a9fe:a9fe',
    '100::1',
    'not-an-address',
  ])('treats %s as internal', (address) => {
    expect(isInternalAddress(address)).toBe(true);
  });

  it.each(['8.8.8.8', '1.1.1.1', '2606:4700:4700::1111', '2a00:1450:4001:80b::200e'])(
    'treats %s as public',
    (address) => {
      expect(isInternalAddress(address)).toBe(false);
    },
  );
});

describe('the check at delivery time', () => {
  it('refuses a mapped loopback address when it is what the host resolves to', async () => {
    expect(await resolvesInternally(new URL('https://[::ffff:7f00:1]:3000/'), false)).toBe(true);
    expect(await resolvesInternally(new URL('https://[64:ff9b::a9fe:a9fe]/'), false)).toBe(true);
  });
});

describe('the pinned delivery fetch', () => {
  it('does not connect when the name resolves only to internal addresses', async () => {
    const { createServer } = await import('node:http');
    let hits = 0;
    const server = createServer((_req, res) => {
      hits += 1;
      res.end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    try {
      // `localhost` resolves to loopback: refused when loopback is not allowed, sent when it is.
      const url = `http://localhost:${port}/hook`;
      await expect(pinnedFetch(false)(url, { method: 'POST', body: '{}' })).rejects.toThrow(/internal/);
      expect(hits).toBe(0);
      const response = await pinnedFetch(true)(url, { method: 'POST', body: '{}' });
      expect(response.status).toBe(200);
      expect(hits).toBe(1);
    } finally {
      server.close();
    }
  });
});
