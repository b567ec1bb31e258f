import { createHash } from 'node:crypto';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { type ChainedContent, chainHash, type Sha256 } from '../domain/audit.ts';
import {
  CURRENT_SCHEMA_VERSION,
  type StoredEvent,
  type StreamRef,
  type StreamType,
  splitStreamKey,
  streamKey,
  upcast,
} from '../domain/events.ts';
import type { NewEvent } from '../domain/ports.ts';
import { ItemReader } from './dynamodb-errors.ts';

/**
 * The lean event item (written since issue 10): only what the key `pk = <type>#<tenant>#<id>`,
 * `version` does not already say. `type` keeps its name (the relay's stream filter reads it).
 * Fields equal to their default are left out: `s` (schemaVersion) when 1, `k` (causationId) when it
 * equals the correlation id. `o` (occurredAt) is epoch milliseconds when the instant is canonical ISO.
 * `p` (payload) names its common fields by PAYLOAD_CODES. `h` (binary, 32 bytes) is the event's link in
 * its stream's hash chain (lambdas/domain/audit.ts); items written before the chain have none.
 */
export const LEAN_ATTRIBUTES = {
  eventId: 'e',
  schemaVersion: 's',
  occurredAt: 'o',
  correlationId: 'c',
  causationId: 'k',
  actor: 'a',
  payload: 'p',
  hash: 'h',
} as const;

/** SHA-256 (node:crypto). */
export const sha256: Sha256 = (data) => new Uint8Array(createHash('sha256').update(data).digest());

const DEFAULT_SCHEMA_VERSION = 1;

/**
 * Short names of common top-level payload fields in the lean layout. Stored items depend on them:
 * add codes, never change or reuse one. Codes are upper case, so no camelCase field is read as one;
 * fields without a code are stored under their own name.
 */
export const PAYLOAD_CODES: Readonly<Record<string, string>> = {
  transferId: 'T',
  debitAccountId: 'D',
  creditAccountId: 'C',
  currency: 'U',
  amount: 'A',
  purpose: 'P',
  reference: 'R',
  accountId: 'I',
  paymentId: 'Y',
  expiresAt: 'X',
  kind: 'K',
  flags: 'F',
  reason: 'N',
  fee: 'E',
  merchantAccountId: 'M',
  merchantAmount: 'MA',
  payerAccountId: 'PA',
  refundId: 'RF',
  transferIds: 'TS',
};
const PAYLOAD_NAMES: Readonly<Record<string, string>> = Object.fromEntries(
  Object.entries(PAYLOAD_CODES).map(([name, code]) => [code, name]),
);

function encodePayload(payload: object): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(payload).map(([name, value]) => {
      if (PAYLOAD_NAMES[name] !== undefined)
        throw new RangeError(`Payload field '${name}' is a reserved code`);
      return [PAYLOAD_CODES[name] ?? name, value];
    }),
  );
}

function decodePayload(stored: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(stored).map(([key, value]) => [PAYLOAD_NAMES[key] ?? key, value]));
}

/** What the chain covers of a new event (see ChainedContent). */
export function chainedContent(event: NewEvent): ChainedContent {
  const { type, eventId, schemaVersion, occurredAt, correlationId, causationId, actor, payload } = event;
  return { type, eventId, schemaVersion, occurredAt, correlationId, causationId, actor, payload };
}

/** The chain hash `h` of `event` at `version` of `stream`, after the event whose hash is `previous`. */
export function eventHash(
  stream: StreamRef,
  version: number,
  event: NewEvent,
  previous: Uint8Array,
): Uint8Array {
  const at = { tenantId: stream.tenantId, streamType: stream.type, streamId: stream.id, version };
  return chainHash(sha256, at, chainedContent(event), previous);
}

/**
 * The DynamoDB item of an event at `version` of `stream`, in the lean layout, with its chain hash `h`
 * when given (`eventHash`).
 */
export function toItem(
  stream: StreamRef,
  version: number,
  event: NewEvent,
  h?: Uint8Array,
): Record<string, AttributeValue> {
  const at = Date.parse(event.occurredAt);
  const canonical = Number.isFinite(at) && new Date(at).toISOString() === event.occurredAt;
  const n = LEAN_ATTRIBUTES;
  return marshall(
    {
      pk: streamKey(stream),
      version,
      type: event.type,
      [n.eventId]: event.eventId,
      ...(event.schemaVersion === DEFAULT_SCHEMA_VERSION ? {} : { [n.schemaVersion]: event.schemaVersion }),
      [n.occurredAt]: canonical ? at : event.occurredAt,
      [n.correlationId]: event.correlationId,
      ...(event.causationId === event.correlationId ? {} : { [n.causationId]: event.causationId }),
      [n.actor]: event.actor,
      [n.payload]: encodePayload(event.payload),
      ...(h === undefined ? {} : { [n.hash]: h }),
    },
    { removeUndefinedValues: true },
  );
}

/** The stream a key names: `<type>#<tenant>#<id>` (types and tenants hold no `#`; ids may). */
export function streamOfKey(pk: string, read: ItemReader): StreamRef {
  const parts = splitStreamKey(pk);
  if (!parts) throw read.corrupt(`pk '${pk}' is not <type>#<tenant>#<id>`);
  return { type: streamType(parts.type, read), tenantId: parts.tenantId, id: parts.id };
}

function streamType(type: string, read: ItemReader): StreamType {
  if (type !== 'account' && type !== 'transfer' && type !== 'payment')
    throw read.corrupt(`unknown streamType '${type}'`);
  return type;
}

/** The envelope fields as the item holds them, in either layout: what the chain covers but the type. */
type Envelope = Omit<ChainedContent, 'type' | 'payload'> & { readonly payload: Record<string, unknown> };

/** The first layout: every envelope field under its own name, the stream repeated beside the key. */
function legacyEnvelope(read: ItemReader, ref: StreamRef): Envelope {
  // The tenant is already part of the key; checking it again means a key bug cannot leak data.
  if (read.string('tenantId') !== ref.tenantId) throw read.corrupt('tenantId is not the stream tenant');
  if (read.string('streamType') !== ref.type || read.string('streamId') !== ref.id) {
    throw read.corrupt('pk is not the stream key of its attributes');
  }
  return {
    eventId: read.string('eventId'),
    schemaVersion: read.integer('schemaVersion'),
    occurredAt: read.string('occurredAt'),
    correlationId: read.string('correlationId'),
    causationId: read.string('causationId'),
    actor: read.string('actor'),
    payload: read.map('payload'),
  };
}

function leanEnvelope(read: ItemReader, raw: Readonly<Record<string, unknown>>): Envelope {
  const n = LEAN_ATTRIBUTES;
  const correlationId = read.string(n.correlationId);
  const occurredAt = raw[n.occurredAt];
  return {
    eventId: read.string(n.eventId),
    schemaVersion:
      raw[n.schemaVersion] === undefined ? DEFAULT_SCHEMA_VERSION : read.integer(n.schemaVersion),
    occurredAt:
      typeof occurredAt === 'string' ? occurredAt : new Date(read.integer(n.occurredAt)).toISOString(),
    correlationId,
    causationId: raw[n.causationId] === undefined ? correlationId : read.string(n.causationId),
    actor: read.string(n.actor),
    payload: decodePayload(read.map(n.payload)),
  };
}

/** An item's stream, version, type and envelope, before any upcast. */
function decodeItem(raw: Readonly<Record<string, unknown>>) {
  const read = new ItemReader(raw, `${String(raw.pk)}@${String(raw.version)}`);
  const pk = read.string('pk');
  const ref = streamOfKey(pk, read);
  const envelope = 'payload' in raw ? legacyEnvelope(read, ref) : leanEnvelope(read, raw);
  return { read, pk, ref, envelope, type: read.string('type'), version: read.integer('version') };
}

/** An event item as its stream's chain sees it: what the link covers, and `h` when it has one. */
export interface ChainLink {
  readonly stream: StreamRef;
  readonly version: number;
  readonly content: ChainedContent;
  readonly h: Uint8Array | undefined;
}

/** The chain link of an unmarshalled event item (either layout; items before the chain have no `h`). */
export function chainLinkOfItem(raw: Readonly<Record<string, unknown>>): ChainLink {
  const { read, ref, envelope, type, version } = decodeItem(raw);
  const h = raw[LEAN_ATTRIBUTES.hash];
  if (h !== undefined && !(h instanceof Uint8Array && h.length === 32))
    throw read.corrupt('h is not 32 bytes');
  const { payload, ...fields } = envelope;
  return { stream: ref, version, content: { type, ...fields, payload }, h };
}

/**
 * Decodes an unmarshalled event item (from a Query, a Scan or a stream record's NewImage), in the
 * lean layout or the first one, upcast to the current shape. The stream (tenant included) is parsed
 * from `pk`; given `stream`, the key must be that stream's.
 */
export function storedEventFromItem(raw: Readonly<Record<string, unknown>>, stream?: StreamRef): StoredEvent {
  const { read, pk, ref, envelope, type, version } = decodeItem(raw);
  if (stream !== undefined && streamKey(stream) !== pk) {
    throw read.corrupt(
      stream.tenantId === ref.tenantId ? 'pk is not the stream read' : 'tenantId is not the stream tenant',
    );
  }
  const event = upcast({ type, schemaVersion: envelope.schemaVersion, payload: envelope.payload });
  return {
    ...event,
    eventId: envelope.eventId,
    // The payload now has the current shape, so the envelope says so.
    schemaVersion: CURRENT_SCHEMA_VERSION[event.type],
    occurredAt: envelope.occurredAt,
    tenantId: ref.tenantId,
    correlationId: envelope.correlationId,
    causationId: envelope.causationId,
    actor: envelope.actor,
    stream: stream ?? ref,
    version,
  };
}
