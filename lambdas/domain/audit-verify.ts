/**
 * `audit:verify` as pure functions over what was read: every chain link, every digest against the
 * heads recomputed from the events, every snapshot (MAC, head, state against a replay). The read
 * models are compared in audit-replay.ts. Callers do the I/O and pass the hash functions.
 */
import { ACCOUNT } from './account.ts';
import type { Aggregate } from './aggregate.ts';
import { reducerOf } from './aggregate.ts';
import {
  base64url,
  type ChainedContent,
  canonicalJson,
  chainHash,
  fromBase64url,
  GENESIS_HASH,
  merkleRoot,
  type Sha256,
  type StreamHead,
  sameBytes,
} from './audit.ts';
import type { LedgerEvent, StoredEvent, StreamRef, StreamType } from './events.ts';
import { PAYMENT } from './payments/payment.ts';
import { TRANSFER } from './transfer.ts';

/** One problem found: what, where (stream `<type>#<id>` and version when it has them), and why. */
export interface Finding {
  readonly kind:
    | 'chain-broken'
    | 'version-missing'
    | 'unreadable-event'
    | 'digest-root'
    | 'digest-head'
    | 'snapshot-mac'
    | 'snapshot-head'
    | 'snapshot-state'
    | 'read-model'
    | 'history'
    | 'books-unbalanced';
  readonly stream?: string;
  readonly version?: number;
  readonly detail: string;
}

/** One event as read for the audit: its chain link, and the event decoded (null when it cannot be). */
export interface AuditedEvent {
  readonly version: number;
  readonly content: ChainedContent | null;
  readonly h: Uint8Array | undefined;
  readonly event: StoredEvent | null;
}

/** One stream of the tenant: its events in version order. */
export interface AuditedStream {
  readonly ref: StreamRef;
  readonly events: readonly AuditedEvent[];
}

/** `<type>#<id>`: a stream's name within its tenant, as findings and digests name it. */
export function streamName(ref: Pick<StreamRef, 'type' | 'id'>): string {
  return `${ref.type}#${ref.id}`;
}

/** What a stream's chain check found: the findings, the recomputed head, where the chain starts. */
export interface ChainResult {
  readonly findings: readonly Finding[];
  readonly head: StreamHead;
  /** The first chained version; events before it predate the chain ("unchained before version N"). */
  readonly chainedFrom: number | null;
}

/**
 * Checks a stream's chain: versions 1..N without a gap, and every chained event's `h` equal to
 * SHA-256 over its position, content and the previous event's stored `h` (GENESIS_HASH for version 1
 * or after an event without `h`). Events without `h` before the first chained one are counted as
 * unchained; one without `h` after it is a break.
 */
export function verifyChain(sha256: Sha256, stream: AuditedStream): ChainResult {
  const name = streamName(stream.ref);
  const findings: Finding[] = [];
  let previous: AuditedEvent | undefined;
  let chainedFrom: number | null = null;
  for (const current of stream.events) {
    const expectedVersion = (previous?.version ?? 0) + 1;
    for (let missing = expectedVersion; missing < current.version; missing++) {
      findings.push({
        kind: 'version-missing',
        stream: name,
        version: missing,
        detail: 'no event at this version',
      });
    }
    if (current.content === null) {
      findings.push({
        kind: 'unreadable-event',
        stream: name,
        version: current.version,
        detail: 'the item does not decode',
      });
    } else if (current.h === undefined) {
      if (chainedFrom !== null) {
        findings.push({
          kind: 'chain-broken',
          stream: name,
          version: current.version,
          detail: 'h is missing after the chain started',
        });
      }
    } else {
      chainedFrom ??= current.version;
      const at = {
        tenantId: stream.ref.tenantId,
        streamType: stream.ref.type,
        streamId: stream.ref.id,
        version: current.version,
      };
      const expected = chainHash(sha256, at, current.content, previous?.h ?? GENESIS_HASH);
      if (!sameBytes(expected, current.h)) {
        findings.push({
          kind: 'chain-broken',
          stream: name,
          version: current.version,
          detail: `h is ${base64url(current.h)}, the event and its predecessor hash to ${base64url(expected)}`,
        });
      }
    }
    previous = current;
  }
  const last = stream.events.at(-1);
  return { findings, head: { stream: name, version: last?.version ?? 0, h: last?.h }, chainedFrom };
}

/** A digest object as read back from the write-once store. */
export interface Digest {
  /** Where it was read from (the object key). */
  readonly key: string;
  readonly tenantId: string;
  readonly at: string;
  /** base64url of the Merkle root over `heads`. */
  readonly root: string;
  /** `[stream, version, h (base64url) or null]`, sorted by stream. */
  readonly heads: readonly (readonly [string, number, string | null])[];
}

/**
 * Checks a digest: its root is the Merkle root of the heads it lists, and every listed head is still
 * in the history (the stream's event at that version has that `h`), so no event a digest covered was
 * changed or removed since, even by someone who rewrote a whole chain.
 */
export function verifyDigest(
  sha256: Sha256,
  digest: Digest,
  streams: ReadonlyMap<string, AuditedStream>,
): Finding[] {
  const heads: StreamHead[] = digest.heads.map(([stream, version, h]) => ({
    stream,
    version,
    h: h === null ? undefined : fromBase64url(h),
  }));
  const findings: Finding[] = [];
  const root = base64url(merkleRoot(sha256, heads));
  if (root !== digest.root) {
    findings.push({
      kind: 'digest-root',
      detail: `digest ${digest.key}: root ${digest.root}, its heads give ${root}`,
    });
  }
  for (const head of heads) {
    const event = streams.get(head.stream)?.events.find((e) => e.version === head.version);
    const same =
      head.h === undefined ? event !== undefined && event.h === undefined : sameBytes(event?.h, head.h);
    if (!same) {
      findings.push({
        kind: 'digest-head',
        stream: head.stream,
        version: head.version,
        detail: `digest ${digest.key} (${digest.at}) saw this head; the events now ${event ? 'hold another h' : 'have no event there'}`,
      });
    }
  }
  return findings;
}

/** A snapshot as stored: the sealed ones carry `head` and `mac`. */
export interface AuditedSnapshot {
  readonly stream: StreamRef;
  readonly version: number;
  readonly reducerVersion: number;
  readonly state: unknown;
  readonly head: Uint8Array | undefined;
  readonly mac: Uint8Array | undefined;
}

/** The fold of an aggregate over events, from its initial state. */
function fold<S, E extends LedgerEvent>(
  aggregate: Aggregate<S, E>,
  events: readonly StoredEvent[],
): S | null {
  return events.reduce<S | null>(reducerOf(aggregate), aggregate.initialState);
}

/** The reducer version that stamps the snapshots of a stream type. */
export function reducerVersionOf(type: StreamType): number {
  return { account: ACCOUNT, transfer: TRANSFER, payment: PAYMENT }[type].reducerVersion;
}

/** The aggregate's state after the stream's events up to `version` (its own fold). */
export function replayTo(stream: AuditedStream, version: number): unknown {
  const events = stream.events.flatMap((e) => (e.event !== null && e.version <= version ? [e.event] : []));
  switch (stream.ref.type) {
    case 'account':
      return fold(ACCOUNT, events);
    case 'transfer':
      return fold(TRANSFER, events);
    case 'payment':
      return fold(PAYMENT, events);
  }
}

/**
 * Checks a snapshot: a sealed one's MAC (`mac` recomputes it, or null without the key) and head
 * (the `h` of the stream's event at its version); every snapshot of the current reducer version must
 * equal the replay of the events up to its version. Returns the findings and whether it was sealed.
 */
export function verifySnapshot(
  snapshot: AuditedSnapshot,
  stream: AuditedStream | undefined,
  mac: ((snapshot: AuditedSnapshot) => Uint8Array) | null,
): { readonly findings: Finding[]; readonly sealed: boolean } {
  const name = streamName(snapshot.stream);
  const at = { stream: name, version: snapshot.version };
  const findings: Finding[] = [];
  const sealed = snapshot.mac !== undefined;
  if (sealed && mac !== null && !sameBytes(snapshot.mac, mac(snapshot))) {
    findings.push({ kind: 'snapshot-mac', ...at, detail: 'the MAC does not verify under the audit key' });
  }
  const event = stream?.events.find((e) => e.version === snapshot.version);
  if (
    sealed &&
    (snapshot.head === undefined ? event?.h !== undefined : !sameBytes(snapshot.head, event?.h))
  ) {
    findings.push({
      kind: 'snapshot-head',
      ...at,
      detail: "the head is not the h of the stream's event there",
    });
  }
  if (stream === undefined || event === undefined) {
    findings.push({ kind: 'snapshot-state', ...at, detail: 'the stream has no event at this version' });
  } else if (snapshot.reducerVersion === reducerVersionOf(snapshot.stream.type)) {
    const replayed = replayTo(stream, snapshot.version);
    if (canonicalJson(replayed) !== canonicalJson(snapshot.state)) {
      findings.push({
        kind: 'snapshot-state',
        ...at,
        detail: 'the state is not the replay of the events up to here',
      });
    }
  }
  return { findings, sealed };
}
