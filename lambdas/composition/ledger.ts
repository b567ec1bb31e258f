import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { fullJitterDelay } from '../adapters/backoff.ts';
import { DynamoDbEventStore } from '../adapters/dynamodb-event-store.ts';
import { DynamoDbSnapshotStore } from '../adapters/dynamodb-snapshot-store.ts';
import { systemClock, UlidGenerator } from '../adapters/ids.ts';
import { MemoryLoadCache } from '../adapters/memory-load-cache.ts';
import { CachedSecret } from '../adapters/secrets-manager-secret.ts';
import type { ConflictRetryOptions } from '../application/retry.ts';
import { DEFAULT_AMOUNT_CEILINGS } from '../domain/ceilings.ts';
import type { ConcurrencyConflictError } from '../domain/errors.ts';
import type { LedgerPorts, LoadCache } from '../domain/ports.ts';
import { DEFAULT_SHARD_LAYOUT } from '../domain/shards.ts';
import { onlySystemShards } from '../domain/system-ids.ts';
import {
  type IdempotencyConfigValues,
  idempotencyConfig,
  type LedgerConfig,
  ledgerConfig,
} from '../shared/config.ts';
import type { IdempotencyStore } from '../shared/idempotency.ts';
import { BUSINESS_METRICS, emfMetrics, type Metrics } from '../shared/metrics.ts';
import { dynamoDbClient, perContainer, secretsManagerClient } from './container.ts';

/** The ledger's ports on DynamoDB. */
export function buildLedgerPorts(
  client: DynamoDBClient,
  config: LedgerConfig,
  secrets: () => SecretsManagerClient = secretsManagerClient,
): LedgerPorts {
  const events = new DynamoDbEventStore({ client, tableName: config.eventsTableName });
  // Sealed snapshots when the stack gives the audit key: one whose MAC does not verify is refused and the
  // stream replayed. Heads are checked by audit:verify, not on every load (it would cost a read per load).
  const key = config.auditKeySecretArn
    ? new CachedSecret({ client: secrets(), secretId: config.auditKeySecretArn })
    : undefined;
  return {
    events,
    snapshots: new DynamoDbSnapshotStore({
      client,
      tableName: config.snapshotsTableName,
      ...(key ? { sealing: { key: () => key.value(), heads: events, checkHeadOnLoad: false } } : {}),
    }),
    clock: systemClock,
    ids: new UlidGenerator(),
    shards: config.shards ?? DEFAULT_SHARD_LAYOUT,
    ceilings: config.ceilings ?? DEFAULT_AMOUNT_CEILINGS,
    hotAccounts: new Map(),
  };
}

/** The ledger's ports of this container. */
export const ledgerPorts = perContainer(() => buildLedgerPorts(dynamoDbClient(), ledgerConfig()));

/** The Powertools idempotency table of a function that writes. */
export function buildIdempotencyStore(
  client: DynamoDBClient,
  config: IdempotencyConfigValues,
): IdempotencyStore {
  return { client, tableName: config.idempotencyTableName };
}

/** This container's idempotency table. */
export const idempotencyStore = perContainer(() =>
  buildIdempotencyStore(dynamoDbClient(), idempotencyConfig()),
);

/**
 * Full-jitter backoff between conflict retries: up to 10 ms, 20 ms, … capped at 200 ms; given how
 * long the lost attempt took, up to that long, twice that, … capped at 1 s instead. Losers of one
 * race then spread over about as many attempt-lengths as there are of them, rather than racing
 * again within the same few milliseconds.
 */
export function conflictBackoff(
  attempt: number,
  lostAttemptMs?: number,
  conflict?: ConcurrencyConflictError,
): Promise<void> {
  // Only system shards moved: deciding again reads nothing that can refuse, so go again at once
  // (a few ms of jitter), re-reading only the shard's newer events.
  if (conflict && onlySystemShards(conflict.streams)) {
    return new Promise((resolve) => setTimeout(resolve, Math.random() * SHARD_RETRY_JITTER_MS));
  }
  const limits =
    lostAttemptMs === undefined
      ? { base: 10, cap: 200 }
      : { base: Math.max(10, lostAttemptMs * CONFLICT_SPREAD), cap: 1_000 };
  return new Promise((resolve) => setTimeout(resolve, fullJitterDelay(attempt - 1, limits)));
}

/** The jitter before retrying a conflict on system shards only. */
export const SHARD_RETRY_JITTER_MS = 5;

/** The first retry's window, in lengths of the attempt that lost. */
export const CONFLICT_SPREAD = 1;

/** How many times a command is tried in all before a conflict becomes a 409. */
export const MAX_COMMAND_ATTEMPTS = 5;

/** A command's load memory: what its attempts loaded, so a retry reads only newer events. */
export function newLoadCache(): LoadCache {
  return new MemoryLoadCache();
}

/** The ports of one command with a fresh load memory (for a command run outside retryOnConflict). */
export function withLoadCache<P extends LedgerPorts>(ports: P): P {
  return { ...ports, loadCache: newLoadCache() };
}

/**
 * Conflict retries of `maxAttempts` tries in all: reload (only what changed, given the load cache to
 * its ports), decide again. Each retry is counted (`ConflictsRetried`, the streams that moved on the line).
 */
export function conflictRetry(maxAttempts: number, metrics: Metrics = emfMetrics()): ConflictRetryOptions {
  return {
    maxAttempts,
    wait: (attempt, lostAttemptMs, conflict) => {
      metrics.record(BUSINESS_METRICS.conflictsRetried, {
        properties: { streams: conflict.streams, attempt },
      });
      return conflictBackoff(attempt, lostAttemptMs, conflict);
    },
    loadCache: newLoadCache,
  };
}

/** The conflict retries of an API command. */
export const COMMAND_CONFLICT_RETRY: ConflictRetryOptions = conflictRetry(MAX_COMMAND_ATTEMPTS);
