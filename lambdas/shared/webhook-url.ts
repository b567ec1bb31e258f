import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';

/** Hosts `WEBHOOK_ALLOW_LOOPBACK_HTTP` lets through over plain http (a non-production stage). */
const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

/** Addresses a webhook may never reach: loopback, private, link-local (metadata), CGNAT, unspecified. */
export function isInternalAddress(address: string): boolean {
  const v4 = address.startsWith('::ffff:') ? address.slice(7) : address;
  if (isIP(v4) === 4) {
    const [a = 0, b = 0] = v4.split('.').map(Number);
    return (
      a === 0 ||
      a === 10 ||
      a === 127 ||
      (a === 100 && b >= 64 && b <= 127) ||
      (a === 169 && b === 254) ||
      (a === 172 && b >= 16 && b <= 31) ||
      (a === 192 && b === 168) ||
      a >= 224
    );
  }
  const v6 = address.toLowerCase();
  return v6 === '::1' || v6 === '::' || /^f[cd]/.test(v6) || /^fe[89ab]/.test(v6) || v6.startsWith('ff');
}

/**
 * Why a merchant's webhook URL is refused, or null when it is acceptable: https only, no
 * credentials, no internal address literal; plain http only to loopback and only when allowed.
 */
export function webhookUrlProblem(text: string, allowLoopbackHttp: boolean): string | null {
  if (text.length > 2048) return 'the URL is longer than 2048 characters';
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return 'not an absolute URL';
  }
  if (url.username || url.password) return 'the URL may not carry credentials';
  const host = url.hostname;
  const loopback = LOOPBACK_HOSTS.has(host);
  if (url.protocol === 'http:' && loopback && allowLoopbackHttp) return null;
  if (url.protocol !== 'https:') return 'only https URLs are accepted';
  if (loopback || host.endsWith('.localhost')) return 'loopback hosts are not accepted';
  const literal = host.startsWith('[') ? host.slice(1, -1) : host;
  if (isIP(literal) !== 0 && isInternalAddress(literal)) return 'internal addresses are not accepted';
  return null;
}

/**
 * Checks, just before a delivery, that the host does not resolve to an internal address (a name
 * registered as public can later point inside). Best effort: fetch resolves again, so a rebinding
 * race is narrowed, not closed; the Lambda network has nothing internal to reach besides loopback.
 */
export async function resolvesInternally(url: URL, allowLoopbackHttp: boolean): Promise<boolean> {
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  if (allowLoopbackHttp && LOOPBACK_HOSTS.has(url.hostname)) return false;
  const addresses = isIP(host) !== 0 ? [{ address: host }] : await lookup(host, { all: true });
  return addresses.some(({ address }) => isInternalAddress(address));
}
