import { randomBytes } from 'node:crypto';
import type { IdGenerator } from '../domain/ports.ts';

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

function encode(value: bigint, length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) {
    out = (CROCKFORD[Number(value & 31n)] ?? '0') + out;
    value >>= 5n;
  }
  return out;
}

/** ULIDs (48-bit millisecond time + 80 random bits, Crockford base32) behind a type prefix: `acct_01J…`. */
export class UlidGenerator implements IdGenerator {
  readonly #now: () => number;
  constructor(now: () => number = Date.now) {
    this.#now = now;
  }
  next(prefix: string): string {
    const random = BigInt(`0x${randomBytes(10).toString('hex')}`);
    return `${prefix}_${encode(BigInt(this.#now()), 10)}${encode(random, 16)}`;
  }
}

/** The wall clock. */
export const systemClock = { now: () => new Date() };
