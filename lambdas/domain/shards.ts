/**
 * Sharded accounts: where a transfer's leg lands when one account stream would serialise a tenant.
 *
 * - A system account (settlement, clearing, fees, disputes) is N shard streams, `<id>~<k>`, each opening
 *   itself on first use. System accounts carry no limit, so no leg needs another shard's state: every
 *   leg lands on the shard its transfer id picks, and the shards never coordinate.
 * - A hot client account (a merchant by default) is its main stream plus N replicas `<id>~<k>`, opened
 *   together. The side of the balance that can only help its limit (credits, for an account whose debits
 *   must not exceed its credits) lands on the replica its transfer id picks, so two credits never meet on
 *   one stream; the limited side (debits) lands on the main stream and is checked against the main
 *   stream plus every replica. Lifecycle events (freeze, unfreeze, close) land on the main stream and on
 *   every replica, in one append, so a credit decided on a replica always sees the account's status.
 *
 * The shard is picked from the transfer id, so a retry, a post or a void of the same transfer lands on the
 * same stream. The account's balance is the exact sum of its streams. Raising a stage's system N moves
 * where new legs land: a reservation made before may then be resolved on another shard than the one that
 * holds it, which leaves the two shards' pending totals off by the same amount in opposite directions and
 * their sum exact; no decision ever reads one system shard's balance, so nothing else notices.
 */
import type { AccountState } from './account.ts';
import { LedgerError } from './errors.ts';
import { addMinor } from './money.ts';

/** Separates an account id from its shard number in a stream id; client ids never contain it. */
export const SHARD_SEPARATOR = '~';

/** How many shard streams sharded accounts get. */
export interface ShardLayout {
  /** Shards per system account (per tenant and currency). Raise it only: readers sum shards 0..N-1. */
  readonly systemShards: number;
  /** Replicas of a hot client account, fixed when it opens (its AccountOpened records the number). */
  readonly hotShards: number;
}

/**
 * The most shards an account may have. System shards: readers sum them all, so more is a slower view,
 * not a limit. Hot replicas: a lifecycle change appends to the main stream and each replica, with a
 * version check on each, in one transaction of at most 100 items.
 */
export const MAX_SHARDS = 1024;
/** The most replicas a hot account may have (see MAX_SHARDS). */
export const MAX_HOT_SHARDS = 48;

/**
 * What a stage gets unless it says otherwise. 64 system shards: 16 concurrent deposits then meet on one
 * shard about a fifth of the time (with 16 shards, three fifths), and a view of a system account reads 64
 * rows. 16 replicas per merchant: a lifecycle change writes 17 streams.
 */
export const DEFAULT_SHARD_LAYOUT: ShardLayout = { systemShards: 64, hotShards: 16 };

/** Which stream of a sharded account: the main stream, or shard `k`. */
export type ShardRef = 'main' | number;

/** The stream id of shard `k` of an account, e.g. `settlement-USD~7`. */
export function shardStreamId(accountId: string, shard: ShardRef): string {
  return shard === 'main' ? accountId : `${accountId}${SHARD_SEPARATOR}${shard}`;
}

/** The ids of an account's shard streams 0..shards-1, in order. */
export function shardStreamIds(accountId: string, shards: number): string[] {
  return Array.from({ length: shards }, (_, k) => shardStreamId(accountId, k));
}

/** The account a stream id belongs to: `settlement-USD~7` → `settlement-USD`. */
export function accountOfStream(streamId: string): string {
  const at = streamId.indexOf(SHARD_SEPARATOR);
  return at < 0 ? streamId : streamId.slice(0, at);
}

/** Whether a stream id names a shard rather than an account's main stream. */
export function isShardStream(streamId: string): boolean {
  return streamId.includes(SHARD_SEPARATOR);
}

/** The shard of `shards` a transfer's legs land on: FNV-1a of the transfer id, so a retry lands on the same. */
export function shardOf(transferId: string, shards: number): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < transferId.length; i++) {
    hash ^= transferId.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash % shards;
}

/** The side of a transfer an account plays. */
export type LegSide = 'debit' | 'credit';

/**
 * The side of a hot account's balance that can only help its limit, so it may land on a replica: credits
 * when debits are limited, debits when credits are; none when both or neither are limited (then every leg
 * lands on the main stream).
 */
export function helpingSide(account: Pick<AccountState, 'flags'>): LegSide | null {
  const { debitsMustNotExceedCredits: debits, creditsMustNotExceedDebits: credits } = account.flags;
  if (debits === credits) return null;
  return debits ? 'credit' : 'debit';
}

/**
 * The account as the sum of its streams: identity, status and flags from the first part (the main stream,
 * or any shard of a system account: they never change), balances summed, and `version` the number of
 * events across all its streams (it moves with every event on any of them).
 */
export function combineShards(parts: readonly AccountState[]): AccountState | null {
  const [first, ...rest] = parts;
  if (first === undefined) return null;
  let { debitsPending, debitsPosted, creditsPending, creditsPosted, version, createdAt } = first;
  for (const part of rest) {
    debitsPending = addMinor(debitsPending, part.debitsPending);
    debitsPosted = addMinor(debitsPosted, part.debitsPosted);
    creditsPending = addMinor(creditsPending, part.creditsPending);
    creditsPosted = addMinor(creditsPosted, part.creditsPosted);
    version += part.version;
    if (part.createdAt < createdAt) createdAt = part.createdAt;
  }
  return { ...first, debitsPending, debitsPosted, creditsPending, creditsPosted, version, createdAt };
}

/** `asOf=<version>` names a point in one stream; a sharded account is several. */
export class ShardedAsOfVersionError extends LedgerError {
  override readonly name = 'ShardedAsOfVersionError';
  readonly kind = 'rejected' as const;
  readonly code = 'as-of-version-sharded';
  constructor(accountId: string, options?: ErrorOptions) {
    super(
      `Account ${accountId} is kept on several streams (it is sharded), so it has no single version to go ` +
        'back to: ask for asOf=<an instant> instead',
      { accountId },
      options,
    );
  }
}
