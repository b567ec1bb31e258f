/**
 * Digests: per tenant, the Merkle root over its stream heads (stream, version, h), written with the
 * heads it covers to a write-once store (S3 Object Lock in AWS). `audit:verify` later checks that every
 * head a digest saw is still in the history, so rewriting events a digest covered shows, even with
 * every later hash recomputed.
 *
 * Finding the heads: a Scan of the events table's keys and `h` (ProjectionExpression pk, version, h),
 * keeping the last item of each partition (a partition's items come out in version order). A Scan is
 * billed by the bytes it reads, not the attributes it returns: about (events × 290 B) / 4 KB / 2 read
 * units per run (eventually consistent), i.e. ~0.009 RCU per event, 10 million events ≈ 3.5e5 read units
 * ≈ USD 0.09 per run on demand. Hence hourly by default, not every minute. The cheaper design at scale
 * is a per-tenant heads record kept by the projector (one conditional update per event it already
 * applies), read with one Query per tenant; that needs the projector, which this change does not own.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { base64url, merkleRoot, type Sha256, type StreamHead } from '../domain/audit.ts';
import type { Digest } from '../domain/audit-verify.ts';

/** SHA-256 (node:crypto). */
export const sha256: Sha256 = (data) => new Uint8Array(createHash('sha256').update(data).digest());

/** One stream's head with its tenant. */
export interface TenantHead {
  readonly tenantId: string;
  readonly head: StreamHead;
}

/** Every stream head of every tenant (any order). */
export interface StreamHeadsSource {
  heads(): AsyncIterable<TenantHead>;
}

/** The write-once store of digests. */
export interface DigestStore {
  put(digest: Digest): Promise<void>;
}

/** The object key of a digest: `digests/<tenant>/<ISO instant>.json`, in time order per tenant. */
export function digestKey(tenantId: string, at: string): string {
  return `digests/${tenantId}/${at}.json`;
}

/** The digest of a tenant's heads at `at`: heads sorted by stream, root over them. */
export function digestOf(tenantId: string, at: string, heads: readonly StreamHead[]): Digest {
  const sorted = [...heads].sort((a, b) => (a.stream < b.stream ? -1 : a.stream > b.stream ? 1 : 0));
  return {
    key: digestKey(tenantId, at),
    tenantId,
    at,
    root: base64url(merkleRoot(sha256, sorted)),
    heads: sorted.map((h): Digest['heads'][number] => [
      h.stream,
      h.version,
      h.h === undefined ? null : base64url(h.h),
    ]),
  };
}

const DIGEST_JSON = z.object({
  tenantId: z.string(),
  at: z.string(),
  root: z.string(),
  heads: z.array(z.tuple([z.string(), z.number().int(), z.string().nullable()])),
});

/** Reads a digest object's JSON (as written by `digestOf`); throws on any other shape. */
export function parseDigest(key: string, text: string): Digest {
  const parsed = DIGEST_JSON.safeParse(JSON.parse(text));
  if (!parsed.success) throw new Error(`Digest ${key} is malformed: ${parsed.error.message}`);
  return { key, ...parsed.data };
}

/** Writes one digest per tenant that has streams; returns how many tenants and streams it covered. */
export async function writeDigests(deps: {
  readonly source: StreamHeadsSource;
  readonly store: DigestStore;
  readonly now: () => Date;
}): Promise<{ readonly tenants: number; readonly streams: number }> {
  const byTenant = new Map<string, StreamHead[]>();
  for await (const { tenantId, head } of deps.source.heads()) {
    const heads = byTenant.get(tenantId) ?? [];
    heads.push(head);
    byTenant.set(tenantId, heads);
  }
  const at = deps.now().toISOString();
  let streams = 0;
  for (const [tenantId, heads] of byTenant) {
    await deps.store.put(digestOf(tenantId, at, heads));
    streams += heads.length;
  }
  return { tenants: byTenant.size, streams };
}
