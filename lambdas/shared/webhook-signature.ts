import { createHmac, timingSafeEqual } from 'node:crypto';

/** How far a signed timestamp may be from now before the delivery is refused as stale or replayed. */
export const SIGNATURE_TOLERANCE_SECONDS = 300;

/**
 * Signs a webhook body as `t=<unix seconds>,v1=<hex HMAC-SHA256 of "t.body">`: the timestamp is
 * inside the MAC, so an old delivery cannot be replayed with a fresh timestamp.
 */
export function signWebhook(secret: string, rawBody: string, unixSeconds: number): string {
  return `t=${unixSeconds},v1=${mac(secret, unixSeconds, rawBody)}`;
}

export type SignatureCheck =
  | { readonly valid: true; readonly timestamp: number }
  | { readonly valid: false; readonly reason: 'malformed' | 'stale' | 'mismatch' };

/**
 * Verifies a signature header against the raw body, in constant time over the MAC. Any of several
 * `v1=` values may match (secret rotation); the timestamp must be within the tolerance.
 */
export function verifyWebhook(
  secrets: readonly string[],
  header: string | undefined,
  rawBody: string,
  nowUnixSeconds: number,
  toleranceSeconds = SIGNATURE_TOLERANCE_SECONDS,
): SignatureCheck {
  const parts = (header ?? '').split(',').map((part) => part.trim().split('='));
  const timestamps = parts.filter(([key]) => key === 't').map(([, value]) => value ?? '');
  const signatures = parts.filter(([key]) => key === 'v1').map(([, value]) => value ?? '');
  const [timestampText] = timestamps;
  if (
    timestamps.length !== 1 ||
    !timestampText ||
    !/^\d{1,12}$/.test(timestampText) ||
    signatures.length === 0
  ) {
    return { valid: false, reason: 'malformed' };
  }
  const timestamp = Number(timestampText);
  if (Math.abs(nowUnixSeconds - timestamp) > toleranceSeconds) return { valid: false, reason: 'stale' };
  let matched = false;
  for (const secret of secrets) {
    const expected = Buffer.from(mac(secret, timestamp, rawBody), 'hex');
    for (const signature of signatures) {
      const given = /^[0-9a-f]{64}$/.test(signature)
        ? Buffer.from(signature, 'hex')
        : Buffer.alloc(expected.length);
      // Compare every candidate, never stopping early, so timing says nothing about which part was wrong.
      matched = timingSafeEqual(given, expected) || matched;
    }
  }
  return matched ? { valid: true, timestamp } : { valid: false, reason: 'mismatch' };
}

function mac(secret: string, unixSeconds: number, rawBody: string): string {
  return createHmac('sha256', secret).update(`${unixSeconds}.${rawBody}`).digest('hex');
}
