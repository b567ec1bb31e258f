/**
 * The tamper-evident history, as pure functions: the canonical encoding every hash and MAC is taken
 * over, the input of a chain link, of a snapshot MAC and of a Merkle tree. The domain computes no hash
 * itself (no I/O, no crypto): callers pass SHA-256 (`Sha256`), so the same bytes are hashed everywhere.
 *
 * Canonical encoding (version 1), defined once here:
 *  - JSON text (RFC 8259) with no whitespace, UTF-8 encoded when hashed;
 *  - object members sorted by key (JavaScript's default string order, UTF-16 code units), members
 *    whose value is `undefined` left out (as DynamoDB's marshalling leaves them out);
 *  - arrays in their order; strings as JSON.stringify writes them; numbers must be finite (the ledger
 *    stores only integers) and are written as JSON.stringify writes them; booleans and null as JSON.
 */

/** SHA-256 of the UTF-8 bytes of `text` (or of the bytes given), 32 bytes. */
export type Sha256 = (data: string | Uint8Array) => Uint8Array;

/** The previous hash of a stream's first chained event: 32 zero bytes. */
export const GENESIS_HASH: Uint8Array = new Uint8Array(32);

/** The prefix of every hashed text: changing the encoding means a new version here. */
export const CHAIN_ENCODING = 'ledgerline-chain-v1';

/** A value the canonical encoding accepts: what JSON can hold. */
export type Canonical =
  | null
  | boolean
  | number
  | string
  | readonly Canonical[]
  | { readonly [k: string]: Canonical };

/** The canonical JSON text of `value` (see the module comment); throws on what JSON cannot hold. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new RangeError(`Cannot encode the number ${value} canonically`);
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object') {
    const members = Object.entries(value)
      .filter(([, member]) => member !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([key, member]) => `${JSON.stringify(key)}:${canonicalJson(member)}`);
    return `{${members.join(',')}}`;
  }
  throw new TypeError(`Cannot encode a ${typeof value} canonically`);
}

const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** Base64url (no padding) of bytes: how hashes appear in reports and digests. */
export function base64url(bytes: Uint8Array): string {
  const alphabet = BASE64URL;
  let out = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const chunk = ((bytes[i] ?? 0) << 16) | ((bytes[i + 1] ?? 0) << 8) | (bytes[i + 2] ?? 0);
    const chars = Math.min(4, Math.ceil(((bytes.length - i) * 8) / 6));
    for (let c = 0; c < chars; c++) out += alphabet[(chunk >> (18 - 6 * c)) & 63];
  }
  return out;
}

/** Bytes of base64url text (padding ignored); empty for text that is not base64url. */
export function fromBase64url(text: string): Uint8Array {
  const bytes: number[] = [];
  let bits = 0;
  let value = 0;
  for (const char of text.replace(/=+$/, '')) {
    const index = BASE64URL.indexOf(char);
    if (index < 0) return new Uint8Array();
    value = ((value << 6) | index) & 0xffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      bytes.push((value >> bits) & 255);
    }
  }
  return new Uint8Array(bytes);
}

/** Two byte strings are equal. */
export function sameBytes(a: Uint8Array | undefined, b: Uint8Array | undefined): boolean {
  if (a === undefined || b === undefined || a.length !== b.length) return false;
  return a.every((byte, i) => byte === b[i]);
}

/**
 * What a chain link covers of an event: the event as written, before any upcast (the stored
 * `schemaVersion` and payload shape), each field under its full name.
 */
export interface ChainedContent {
  readonly type: string;
  readonly eventId: string;
  readonly schemaVersion: number;
  readonly occurredAt: string;
  readonly correlationId: string;
  readonly causationId: string;
  readonly actor: string;
  readonly payload: object;
}

/** Where a link sits: tenant, stream (type and id) and version. */
export interface ChainPosition {
  readonly tenantId: string;
  readonly streamType: string;
  readonly streamId: string;
  readonly version: number;
}

/** The text hashed for one link: the position, the event's canonical content and the previous hash. */
export function chainLinkText(at: ChainPosition, content: ChainedContent, previous: Uint8Array): string {
  return canonicalJson([
    CHAIN_ENCODING,
    at.tenantId,
    at.streamType,
    at.streamId,
    at.version,
    content,
    base64url(previous),
  ]);
}

/** `h` of the event at `at`: SHA-256 over the link text. */
export function chainHash(
  sha256: Sha256,
  at: ChainPosition,
  content: ChainedContent,
  previous: Uint8Array,
): Uint8Array {
  return sha256(chainLinkText(at, content, previous));
}

/** What a snapshot MAC covers: the snapshot's stream, version, reducer version and state. */
export interface SealedSnapshotFields {
  readonly stream: { readonly tenantId: string; readonly type: string; readonly id: string };
  readonly version: number;
  readonly reducerVersion: number;
  readonly state: unknown;
}

/** The text a snapshot's MAC is taken over: tenant, stream, version, reducer version, head hash, canonical state. */
export function snapshotMacText(snapshot: SealedSnapshotFields, head: Uint8Array | undefined): string {
  const { stream, version, reducerVersion, state } = snapshot;
  return canonicalJson([
    CHAIN_ENCODING,
    'snapshot',
    stream.tenantId,
    stream.type,
    stream.id,
    version,
    reducerVersion,
    head === undefined ? null : base64url(head),
    state,
  ]);
}

/** A stream's head as a digest covers it. */
export interface StreamHead {
  /** `<type>#<id>` (the tenant is the digest's). */
  readonly stream: string;
  readonly version: number;
  /** The head event's `h`; undefined when the stream has no chained event yet. */
  readonly h: Uint8Array | undefined;
}

/** Leaves are hashed with a 0x00 prefix and inner nodes with 0x01 (RFC 6962), so no leaf passes for a node. */
function prefixed(prefix: number, ...parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(1 + parts.reduce((n, p) => n + p.length, 0));
  out[0] = prefix;
  let at = 1;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/**
 * The Merkle root over a tenant's stream heads, sorted by stream: each leaf is SHA-256(0x00 ‖
 * canonical [stream, version, h]), each node SHA-256(0x01 ‖ left ‖ right), an odd node is carried
 * up unchanged; no heads give SHA-256 of the empty string.
 */
export function merkleRoot(sha256: Sha256, heads: readonly StreamHead[]): Uint8Array {
  const encoder = new TextEncoder();
  let level = [...heads]
    .sort((a, b) => (a.stream < b.stream ? -1 : a.stream > b.stream ? 1 : 0))
    .map((head) =>
      sha256(
        prefixed(
          0,
          encoder.encode(
            canonicalJson([head.stream, head.version, head.h === undefined ? null : base64url(head.h)]),
          ),
        ),
      ),
    );
  if (level.length === 0) return sha256('');
  while (level.length > 1) {
    const next: Uint8Array[] = [];
    for (let i = 0; i < level.length; i += 2) {
      const left = level[i];
      const right = level[i + 1];
      if (left === undefined) break;
      next.push(right === undefined ? left : sha256(prefixed(1, left, right)));
    }
    level = next;
  }
  return level[0] ?? sha256('');
}
