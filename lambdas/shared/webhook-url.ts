import { lookup } from 'node:dns/promises';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP } from 'node:net';

/** Hosts `WEBHOOK_ALLOW_LOOPBACK_HTTP` lets through over plain http (a non-production stage). */
const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

/** Whether an IPv4 address (four octets) is public unicast: not private, loopback, link-local, shared, documentation, benchmark, multicast or reserved. */
function isPublicV4([a = 0, b = 0, c = 0]: readonly number[]): boolean {
  return !(
    a === 0 ||
    a === 10 ||
    a === 127 ||
    (a === 100 && b >= 64 && b <= 127) ||
    (a === 169 && b === 254) ||
    (a === 172 && b >= 16 && b <= 31) ||
    (a === 192 && b === 0 && (c === 0 || c === 2)) ||
    (a === 192 && b === 88 && c === 99) ||
    (a === 192 && b === 168) ||
    (a === 198 && (b === 18 || b === 19)) ||
    (a === 198 && b === 51 && c === 100) ||
    (a === 203 && b === 0 && c === 113) ||
    a >= 224
  );
}

/** The eight 16-bit groups of an IPv6 address (a dotted IPv4 tail and a zone id allowed), or null. */
function ipv6Groups(address: string): number[] | null {
  let text = address.split('%')[0] ?? '';
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted?.[1]) {
    const octets = dotted[1].split('.').map(Number);
    const [a = 0, b = 0, c = 0, d = 0] = octets;
    text = `${text.slice(0, -dotted[1].length)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const halves = text.split('::');
  if (halves.length > 2) return null;
  const parse = (part: string | undefined) =>
    part ? part.split(':').map((g) => Number.parseInt(g, 16)) : [];
  const head = parse(halves[0]);
  const tail = parse(halves[1]);
  const groups =
    halves.length === 2 ? [...head, ...new Array(8 - head.length - tail.length).fill(0), ...tail] : head;
  return groups.length === 8 && groups.every((g) => Number.isInteger(g) && g >= 0 && g <= 0xffff)
    ? groups
    : null;
}

/** The IPv4 address in the low 32 bits of an IPv6 address, as octets. */
const embeddedV4 = (groups: readonly number[]): number[] => {
  const [hi = 0, lo = 0] = groups.slice(6);
  return [hi >> 8, hi & 0xff, lo >> 8, lo & 0xff];
};

/**
 * Whether a webhook may reach this address: public unicast only. IPv4-mapped (`::ffff:a.b.c.d`,
 * which URL parsing rewrites to `::ffff:7f00:1`), IPv4-compatible (`::a.b.c.d`) and NAT64
 * (`64:ff9b::/96`) addresses are judged by the IPv4 address they carry; any other IPv6 address
 * must be global unicast (2000::/3) outside the special-purpose blocks.
 */
export function isPublicUnicastAddress(address: string): boolean {
  const kind = isIP(address.split('%')[0] ?? '');
  if (kind === 4) return isPublicV4(address.split('.').map(Number));
  if (kind !== 6) return false;
  const g = ipv6Groups(address.toLowerCase());
  if (g === null) return false;
  const zeros = (n: number) => g.slice(0, n).every((x) => x === 0);
  if (zeros(5) && g[5] === 0xffff) return isPublicV4(embeddedV4(g));
  if (zeros(6)) return isPublicV4(embeddedV4(g));
  if (g[0] === 0x64 && g[1] === 0xff9b && g.slice(2, 6).every((x) => x === 0))
    return isPublicV4(embeddedV4(g));
  const [first = 0, second = 0] = g;
  if ((first & 0xe000) !== 0x2000) return false;
  return !(
    (first === 0x2001 && second < 0x200) || // IETF protocol assignments (Teredo, ORCHID, …)
    (first === 0x2001 && second === 0xdb8) || // documentation
    first === 0x2002 || // 6to4 carries any IPv4 address
    (first === 0x3fff && second < 0x1000) // documentation
  );
}

/** Addresses a webhook may never reach: anything that is not public unicast (see isPublicUnicastAddress). */
export function isInternalAddress(address: string): boolean {
  return !isPublicUnicastAddress(address);
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

/** The connection's host resolved only to internal addresses: nothing was sent. */
export class InternalAddressError extends Error {
  override readonly name = 'InternalAddressError';
}

type LookupCallback = (
  error: NodeJS.ErrnoException | null,
  address: string | { address: string; family: number }[],
  family?: number,
) => void;

/**
 * A `fetch` for webhook deliveries whose connection goes to the address that was checked: the
 * socket's own DNS lookup keeps only public unicast addresses (the connection uses exactly those),
 * so a name that rebinds between a check and the connection cannot reach inside. No redirect is
 * followed.
 */
export function pinnedFetch(allowLoopbackHttp: boolean): typeof fetch {
  const checkedLookup = (hostname: string, options: { all?: boolean }, callback: LookupCallback) => {
    lookup(hostname, { all: true }).then(
      (addresses) => {
        const allowed = addresses.filter(
          ({ address }) => !isInternalAddress(address) || (allowLoopbackHttp && LOOPBACK_HOSTS.has(hostname)),
        );
        const [first] = allowed;
        if (!first) {
          callback(new InternalAddressError(`${hostname} resolves to internal addresses only`), '', 0);
        } else if (options.all) {
          callback(null, allowed);
        } else {
          callback(null, first.address, first.family);
        }
      },
      (error: NodeJS.ErrnoException) => callback(error, '', 0),
    );
  };
  return (async (input: string | URL | Request, init?: RequestInit) => {
    const url = new URL(input instanceof Request ? input.url : input);
    const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const headers = Object.fromEntries(new Headers(init?.headers).entries());
    return await new Promise<Response>((resolve, reject) => {
      const req = request(
        url,
        { method: init?.method ?? 'GET', headers, lookup: checkedLookup, signal: init?.signal ?? undefined },
        (res: IncomingMessage) => {
          const responseHeaders = new Headers();
          for (const [name, value] of Object.entries(res.headers)) {
            if (typeof value === 'string') responseHeaders.set(name, value);
          }
          res.resume();
          resolve(new Response(null, { status: res.statusCode ?? 502, headers: responseHeaders }));
        },
      );
      // An aborted request rejects with the signal's reason (a TimeoutError), as fetch does.
      req.on('error', (error) => reject(init?.signal?.aborted ? init.signal.reason : error));
      req.end(typeof init?.body === 'string' ? init.body : undefined);
    });
  }) as typeof fetch;
}
