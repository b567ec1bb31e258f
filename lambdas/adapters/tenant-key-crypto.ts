import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** The prefix of every Ledgerline API key (secret scanners can look for it). */
export const KEY_PREFIX = 'llk_';

/** Hex SHA-256 of pepper ‖ key: what the tenants table stores instead of the key. */
export function peppered(pepper: string, key: string): string {
  return createHash('sha256').update(pepper, 'utf8').update(key, 'utf8').digest('hex');
}

/** Equal hex hashes, compared in constant time (different lengths are unequal at once: not secret). */
export function sameHash(a: string, b: string): boolean {
  const left = Buffer.from(a, 'hex');
  const right = Buffer.from(b, 'hex');
  return left.length === right.length && left.length > 0 && timingSafeEqual(left, right);
}

/** A new API key: 256 random bits, base64url, behind the prefix. */
export const newSecretKey = (): string => `${KEY_PREFIX}${randomBytes(32).toString('base64url')}`;

/** A new id: `<prefix>_` and 16 hex digits. */
export const newTenantId = (prefix: string): string => `${prefix}_${randomBytes(8).toString('hex')}`;

/** The sealing key of usage-key values, derived from the pepper with its own label. */
export const usageKeySealingSecret = (pepper: string): string => `ledgerline/usage-key/v1\u0000${pepper}`;
