import { createHmac } from 'node:crypto';
import { type DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { sameBytes, snapshotMacText } from '../domain/audit.ts';
import { type StreamRef, streamKey } from '../domain/events.ts';
import type { LoadCache, Snapshot, SnapshotStore } from '../domain/ports.ts';
import { DynamoDbAdapterError, ItemReader, isConditionFailed } from './dynamodb-errors.ts';
import { MemoryLoadCache } from './memory-load-cache.ts';

/** Keeps the newest snapshot: an older (slower or retried) writer never replaces a newer one. */
export const NEWER_SNAPSHOT_CONDITION = 'attribute_not_exists(pk) OR version < :version';

/** The chain hash `h` of a stream's event at a version (DynamoDbEventStore.hashAt). */
export interface ChainHeads {
  hashAt(stream: StreamRef, version: number): Promise<Uint8Array | undefined>;
}

/** Why a snapshot was not used: its MAC does not verify, or its head is not the event's `h` there. */
export interface SnapshotRefusal {
  readonly stream: string;
  readonly version: number;
  readonly reducerVersion: number;
  readonly reason: 'mac' | 'head';
}

/** How snapshots are sealed: an HMAC key, the events' chain, and who is told of a refusal. */
export interface SnapshotSealing {
  /** The HMAC-SHA-256 key: the audit secret's value (generated at deploy). */
  readonly key: () => Promise<string>;
  readonly heads: ChainHeads;
  /** @default one error log line that is also the EMF count `SnapshotsRefused` (namespace Ledgerline) */
  readonly refused?: (refusal: SnapshotRefusal) => void;
  /**
   * Also compare the snapshot's head with the event's `h` on every load: one more read (unless this store
   * wrote that head), where the MAC alone already refuses a forged or edited snapshot. `audit:verify`
   * checks every head. @default true
   */
  readonly checkHeadOnLoad?: boolean;
}

export interface DynamoDbSnapshotStoreOptions {
  readonly client: DynamoDBClient;
  readonly tableName: string;
  /** Seal snapshots (`head`, `mac`) and refuse on load one that does not verify. @default unsealed */
  readonly sealing?: SnapshotSealing;
  /** How many streams' loaded states the container keeps (`recent`; 0: none). @default RECENT_STREAMS */
  readonly recentStreams?: number;
}

/** How many streams' loaded states a store keeps in memory by default (least recently used forgotten first). */
export const RECENT_STREAMS = 10_000;

/** The metric a refused snapshot counts on. */
export const SNAPSHOTS_REFUSED = 'SnapshotsRefused';

/** One JSON line: an error log and, in CloudWatch's embedded metric format, a count of SnapshotsRefused. */
export function logRefusedSnapshot(refusal: SnapshotRefusal, now = Date.now()): void {
  console.error(
    JSON.stringify({
      level: 'ERROR',
      message: 'Snapshot refused: the stream is replayed from its events',
      ...refusal,
      _aws: {
        Timestamp: now,
        CloudWatchMetrics: [
          {
            Namespace: 'Ledgerline',
            Dimensions: [[]],
            Metrics: [{ Name: SNAPSHOTS_REFUSED, Unit: 'Count' }],
          },
        ],
      },
      [SNAPSHOTS_REFUSED]: 1,
    }),
  );
}

/**
 * The MAC of a snapshot: HMAC-SHA-256(key, canonical [tenant, stream, version, reducer version, head, state])
 * (lambdas/domain/audit.ts `snapshotMacText`).
 */
export function snapshotMac(
  key: string,
  snapshot: Snapshot<unknown>,
  head: Uint8Array | undefined,
): Uint8Array {
  return new Uint8Array(createHmac('sha256', key).update(snapshotMacText(snapshot, head)).digest());
}

/**
 * Snapshots on their own DynamoDB table. Table key schema: partition key `pk` (S) = `streamKey(stream)`,
 * sort key `reducerVersion` (N); one item per stream and reducer version, overwritten by newer snapshots.
 *
 * Sealed (option `sealing`), an item also holds `head`, the `h` of the stream's event at its version,
 * and `mac` (snapshotMac). A load refuses a snapshot whose MAC does not verify or whose head is not
 * that event's `h` (one GetItem of `h`, beside the load's read of the newest events): it reports the
 * refusal and answers null, so the stream is replayed from its events.
 */
export class DynamoDbSnapshotStore implements SnapshotStore {
  readonly #client: DynamoDBClient;
  readonly #tableName: string;
  readonly #sealing: SnapshotSealing | undefined;
  /**
   * The states this container loaded lately: a load of one of them reads only the events after it, and
   * no snapshot (a container's own memory needs no seal; every later event is still read consistently).
   */
  readonly recent: LoadCache | undefined;

  constructor(options: DynamoDbSnapshotStoreOptions) {
    this.#client = options.client;
    this.#tableName = options.tableName;
    this.#sealing = options.sealing;
    const limit = options.recentStreams ?? RECENT_STREAMS;
    this.recent = limit > 0 ? new MemoryLoadCache({ limit }) : undefined;
  }

  async get<S>(stream: StreamRef, reducerVersion: number): Promise<Snapshot<S> | null> {
    const pk = streamKey(stream);
    // Eventually consistent on purpose: a stale snapshot is still a correct one, since the load
    // reads every later event with ConsistentRead.
    const command = new GetItemCommand({
      TableName: this.#tableName,
      Key: { pk: { S: pk }, reducerVersion: { N: String(reducerVersion) } },
      ReturnConsumedCapacity: 'TOTAL',
    });
    const { Item } = await this.#client.send(command).catch((error: unknown) => {
      throw new DynamoDbAdapterError(`GetItem of the ${pk} snapshot failed`, { cause: error });
    });
    if (Item === undefined) return null;
    const raw = unmarshall(Item);
    const read = new ItemReader(raw, `${pk}#r${reducerVersion}`);
    if (read.string('tenantId') !== stream.tenantId) throw read.corrupt('tenantId is not the stream tenant');
    // The reducer version in the key is what vouches for the state's shape.
    const snapshot = {
      stream,
      version: read.integer('version'),
      reducerVersion,
      state: read.present('state') as S,
    };
    return (await this.#verified(snapshot, bytes(raw.head), bytes(raw.mac))) ? snapshot : null;
  }

  /** A sealed store's check of a snapshot read: its MAC, then its head against the event's `h`. */
  async #verified(snapshot: Snapshot<unknown>, head: Uint8Array | undefined, mac: Uint8Array | undefined) {
    const sealing = this.#sealing;
    if (!sealing) return true;
    const checkHead = sealing.checkHeadOnLoad !== false;
    const [key, actual] = await Promise.all([
      sealing.key(),
      checkHead ? sealing.heads.hashAt(snapshot.stream, snapshot.version) : undefined,
    ]);
    const sameHead = !checkHead || (head === undefined ? actual === undefined : sameBytes(head, actual));
    const reason = !sameBytes(mac, snapshotMac(key, snapshot, head)) ? 'mac' : sameHead ? null : 'head';
    if (reason === null) return true;
    const { stream, version, reducerVersion } = snapshot;
    (sealing.refused ?? logRefusedSnapshot)({ stream: streamKey(stream), version, reducerVersion, reason });
    return false;
  }

  async put<S>(snapshot: Snapshot<S>): Promise<void> {
    const { stream, version, reducerVersion, state } = snapshot;
    const seal = await this.#seal(snapshot);
    const item = {
      pk: streamKey(stream),
      reducerVersion,
      version,
      tenantId: stream.tenantId,
      streamType: stream.type,
      streamId: stream.id,
      state,
      ...seal,
    };
    const command = new PutItemCommand({
      TableName: this.#tableName,
      Item: marshall(item, { removeUndefinedValues: true }),
      ConditionExpression: NEWER_SNAPSHOT_CONDITION,
      ExpressionAttributeValues: { ':version': { N: String(version) } },
      ReturnConsumedCapacity: 'TOTAL',
    });
    try {
      await this.#client.send(command);
    } catch (error) {
      // A snapshot at this version or a newer one is already there: nothing to do.
      if (isConditionFailed(error)) return;
      throw new DynamoDbAdapterError(`PutItem of the ${item.pk} snapshot failed`, { cause: error });
    }
  }

  /** `head` and `mac` of a snapshot to write (nothing unsealed); the head is the one the append just wrote. */
  async #seal(snapshot: Snapshot<unknown>): Promise<{ head?: Uint8Array; mac?: Uint8Array }> {
    const sealing = this.#sealing;
    if (!sealing) return {};
    const [key, head] = await Promise.all([
      sealing.key(),
      sealing.heads.hashAt(snapshot.stream, snapshot.version),
    ]);
    return { ...(head === undefined ? {} : { head }), mac: snapshotMac(key, snapshot, head) };
  }
}

/** A binary attribute as unmarshalled, or undefined. */
function bytes(value: unknown): Uint8Array | undefined {
  return value instanceof Uint8Array ? value : undefined;
}
