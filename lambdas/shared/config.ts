import { type AmountCeilings, parseAmountCeilings } from '../domain/ceilings.ts';
import { DEFAULT_SHARD_LAYOUT, MAX_HOT_SHARDS, MAX_SHARDS, type ShardLayout } from '../domain/shards.ts';
import { ENV, READ_MODEL_POINTERS_ENV, READ_MODEL_TABLES_ENV } from './env-names.ts';
import { MAX_PARK_DELAY_SECONDS, type ParkingPolicy } from './processor-events.ts';

/**
 * The only module that reads the environment, failing fast on what is missing. Each reader takes the
 * environment (the process's by default); the composition roots call them once per container.
 */

export type Env = Readonly<Record<string, string | undefined>>;

function required(env: Env, name: string): string {
  const value = env[name];
  if (!value)
    throw new Error(
      `Missing environment variable ${name}: the stack sets it on every function that needs it`,
    );
  return value;
}

export interface LedgerConfig {
  readonly eventsTableName: string;
  readonly snapshotsTableName: string;
  /** Shard streams of system and hot accounts (per stage; see domain/shards.ts). @default DEFAULT_SHARD_LAYOUT */
  readonly shards?: ShardLayout;
  /** The most one transfer may move, per tenant (see domain/ceilings.ts). @default DEFAULT_AMOUNT_CEILINGS */
  readonly ceilings?: AmountCeilings;
  /** The audit key's secret: snapshots are sealed with it and refused on load when they do not verify. */
  readonly auditKeySecretArn?: string;
}

/**
 * Whether the function traces at all: off where `POWERTOOLS_TRACE_ENABLED=false` (the local runtime sets it;
 * there is no X-Ray daemon). On, the Powertools Tracer still applies its own checks (e.g. outside Lambda).
 */
export const tracingConfig = (env: Env = process.env): { readonly enabled: boolean } => ({
  enabled: env.POWERTOOLS_TRACE_ENABLED?.toLowerCase() !== 'false',
});

export interface IdempotencyConfigValues {
  readonly idempotencyTableName: string;
}

/** Tables of the event store, read by every API function. */
export const ledgerConfig = (env: Env = process.env): LedgerConfig => ({
  eventsTableName: required(env, ENV.eventsTable),
  snapshotsTableName: required(env, ENV.snapshotsTable),
  shards: {
    systemShards: shardCount(env, ENV.systemShards, DEFAULT_SHARD_LAYOUT.systemShards, MAX_SHARDS),
    hotShards: shardCount(env, ENV.hotShards, DEFAULT_SHARD_LAYOUT.hotShards, MAX_HOT_SHARDS),
  },
  ceilings: parseAmountCeilings(
    { defaultMinor: env[ENV.amountCeiling], perTenant: env[ENV.tenantAmountCeilings] },
    { defaultMinor: ENV.amountCeiling, perTenant: ENV.tenantAmountCeilings },
  ),
  ...(env[ENV.auditKeySecret] ? { auditKeySecretArn: env[ENV.auditKeySecret] } : {}),
});

/** A number of shards, 1..`max` (see MAX_SHARDS and MAX_HOT_SHARDS for why there is a ceiling). */
function shardCount(env: Env, name: string, fallback: number, max: number): number {
  const value = nonNegativeInteger(env, name, fallback);
  if (value < 1 || value > max) throw new Error(`${name} must be 1..${max}, got ${value}`);
  return value;
}

/** The Powertools idempotency table, set only on functions that write. */
export const idempotencyConfig = (env: Env = process.env): IdempotencyConfigValues => ({
  idempotencyTableName: required(env, ENV.idempotencyTable),
});

/** The two tables (blue, green) of one read model. */
export interface SlotTablesConfig {
  readonly blue: string;
  readonly green: string;
}

/** The read models a function is granted, and the pointers table that says which table of each serves. */
export interface ReadModelsConfig {
  readonly pointersTable: string;
  readonly tables: Readonly<Record<string, SlotTablesConfig>>;
}

export { READ_MODEL_POINTERS_ENV, READ_MODEL_TABLES_ENV };

/** The read models whose variables are set (a function gets only those it is granted); at least one. */
export const readModelsConfig = (env: Env = process.env): ReadModelsConfig => {
  const tables: Record<string, SlotTablesConfig> = {};
  for (const [model, name] of Object.entries(READ_MODEL_TABLES_ENV)) {
    const value = env[name];
    if (value === undefined) continue;
    const [blue, green, ...rest] = value.split(',');
    if (!blue || !green || rest.length > 0) {
      throw new Error(`${name} must be '<blue table>,<green table>', got '${value}'`);
    }
    tables[model] = { blue, green };
  }
  if (Object.keys(tables).length === 0) {
    throw new Error(
      `Missing environment variable: none of ${Object.values(READ_MODEL_TABLES_ENV).join(', ')} is set; the stack sets them on functions granted a read model`,
    );
  }
  return { pointersTable: required(env, READ_MODEL_POINTERS_ENV), tables };
};

/** Inbound processor webhooks (issue 6): the receiver and the worker. */
export interface ProcessorWebhooksConfig {
  /** Raw payloads kept for audit, keyed by the processor's event id. */
  readonly inboxTableName: string;
  /** The inbound work queue (set on the receiver only). */
  readonly queueUrl: string | undefined;
  /** The secret the processor signs with (set on the receiver only). */
  readonly signingSecretArn: string | undefined;
}

export const processorWebhooksConfig = (env: Env = process.env): ProcessorWebhooksConfig => ({
  inboxTableName: required(env, ENV.webhookInboxTable),
  queueUrl: env[ENV.processorEventsQueueUrl] || undefined,
  signingSecretArn: env[ENV.processorWebhookSecretArn] || undefined,
});

/** The outbound notifications queue, for every producer (relay, processor-events worker). */
export const merchantNotificationsQueueConfig = (env: Env = process.env): { readonly queueUrl: string } => ({
  queueUrl: required(env, ENV.merchantNotificationsQueueUrl),
});

/** Merchant webhook endpoints and their delivery log (issue 6). */
export interface MerchantEndpointsConfig {
  readonly endpointsTableName: string;
  /** The key that encrypts each endpoint's signing secret at rest (a Secrets Manager secret). */
  readonly secretsKeyArn: string;
  /**
   * `http://` to loopback hosts is accepted only when the stack says so (a non-production stage):
   * on Lambda, loopback is the Runtime API.
   */
  readonly allowLoopbackHttp: boolean;
}

export const merchantEndpointsConfig = (env: Env = process.env): MerchantEndpointsConfig => ({
  endpointsTableName: required(env, ENV.merchantEndpointsTable),
  secretsKeyArn: required(env, ENV.endpointSecretsKeyArn),
  allowLoopbackHttp: env[ENV.webhookAllowLoopbackHttp] === 'true',
});

export const deliveriesConfig = (env: Env = process.env): { readonly deliveriesTableName: string } => ({
  deliveriesTableName: required(env, ENV.deliveriesTable),
});

/** A worker's own queue, and how it spaces retries: full-jitter backoff by changing the message's visibility. */
export interface WorkerQueueConfig {
  readonly queueUrl: string;
  readonly retryBaseSeconds: number;
  readonly retryCapSeconds: number;
}

function positiveNumber(env: Env, name: string, fallback: number): number {
  const text = env[name];
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0)
    throw new Error(`${name} must be a positive number, got '${text}'`);
  return value;
}

export const workerQueueConfig = (env: Env = process.env): WorkerQueueConfig => ({
  queueUrl: required(env, ENV.workQueueUrl),
  retryBaseSeconds: positiveNumber(env, ENV.retryBaseSeconds, 5),
  retryCapSeconds: positiveNumber(env, ENV.retryCapSeconds, 900),
});

/** How long a processor event that came before its predecessor waits for it (see `ParkingPolicy`). */
export const parkingConfig = (env: Env = process.env): ParkingPolicy => ({
  baseSeconds: positiveNumber(env, ENV.parkBaseSeconds, 30),
  capSeconds: MAX_PARK_DELAY_SECONDS,
  windowSeconds: positiveNumber(env, ENV.parkWindowSeconds, 3 * 24 * 3600),
});

/** How long the delivery worker waits for a merchant's endpoint. */
export const deliveryConfig = (env: Env = process.env): { readonly requestTimeoutMs: number } => ({
  requestTimeoutMs: positiveNumber(env, ENV.deliveryTimeoutMs, 5000),
});

/** Payments (issue 5): the API functions that start the settlement saga. */
export interface PaymentsApiConfig {
  readonly stateMachineArn: string;
  /** The tenant's fee on each payment, in basis points of the amount. */
  readonly feeBps: number;
}

export const paymentsApiConfig = (env: Env = process.env): PaymentsApiConfig => ({
  stateMachineArn: required(env, ENV.paymentStateMachineArn),
  feeBps: nonNegativeInteger(env, ENV.paymentFeeBps, 290),
});

function nonNegativeInteger(env: Env, name: string, fallback: number): number {
  const text = env[name];
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 0)
    throw new Error(`${name} must be an integer >= 0, got '${text}'`);
  return value;
}

/** The payment processor as the saga's capture/refund functions (and the refunds API) call it. */
export interface ProcessorClientConfig {
  readonly baseUrl: string;
  readonly secretArn: string;
  readonly timeoutMs: number;
  readonly maxAttempts: number;
}

export const processorClientConfig = (env: Env = process.env): ProcessorClientConfig => ({
  baseUrl: required(env, ENV.processorBaseUrl),
  secretArn: required(env, ENV.processorSecretArn),
  timeoutMs: positiveNumber(env, ENV.processorTimeoutMs, 1500),
  maxAttempts: positiveNumber(env, ENV.processorMaxAttempts, 2),
});

/** Risk limits (a JSON RiskPolicy, default below) and the payer velocity counters. */
export interface RiskConfig {
  readonly policyJson: string | undefined;
  readonly velocityTableName: string;
}

export const riskConfig = (env: Env = process.env): RiskConfig => ({
  policyJson: env[ENV.riskPolicy] || undefined,
  velocityTableName: required(env, ENV.velocityTable),
});

/** The sandbox processor (deployed with the stack): its state table, secret, and slow-capture delay. */
export interface SandboxProcessorConfig {
  readonly tableName: string;
  readonly secretArn: string;
  /** How long a `pm_card_timeout` capture takes: longer than any client waits. */
  readonly slowCaptureMs: number;
}

export const sandboxProcessorConfig = (env: Env = process.env): SandboxProcessorConfig => ({
  tableName: required(env, ENV.sandboxTable),
  secretArn: required(env, ENV.processorSecretArn),
  slowCaptureMs: positiveNumber(env, ENV.sandboxSlowCaptureMs, 6000),
});

/** Exports (issue 14): the jobs table, the bucket of the files, and the queue of the worker (routes that enqueue). */
export interface ExportsConfig {
  readonly tableName: string;
  readonly bucketName: string;
  readonly queueUrl: string | undefined;
}

export const exportsConfig = (env: Env = process.env): ExportsConfig => ({
  tableName: required(env, ENV.exportsTable),
  bucketName: required(env, ENV.exportsBucket),
  queueUrl: env[ENV.exportsQueueUrl] || undefined,
});

/**
 * S3 clients (imports, exports). The endpoint comes from `AWS_ENDPOINT_URL_S3` as the SDK reads it; an
 * emulator (the local runtime's fauxqs) also sets `S3_FORCE_PATH_STYLE=true`, since bucket host names
 * (`<bucket>.127.0.0.1`) do not resolve. On AWS neither is set.
 */
export const S3_FORCE_PATH_STYLE_ENV = 'S3_FORCE_PATH_STYLE';

export interface S3ClientSettings {
  readonly forcePathStyle: boolean;
}

export const s3ClientConfig = (env: Env = process.env): S3ClientSettings => {
  const text = env[S3_FORCE_PATH_STYLE_ENV];
  if (text !== undefined && text !== '' && text !== 'true' && text !== 'false')
    throw new Error(`${S3_FORCE_PATH_STYLE_ENV} must be 'true' or 'false', got '${text}'`);
  return { forcePathStyle: text === 'true' };
};

/** Bulk imports (issue 14): variables set by lib/imports.ts. */
export const IMPORTS_ENV = {
  table: 'IMPORTS_TABLE_NAME',
  bucket: 'IMPORTS_BUCKET_NAME',
  chunksQueueUrl: 'IMPORT_CHUNKS_QUEUE_URL',
  rowConcurrency: 'IMPORT_ROW_CONCURRENCY',
} as const;

export interface ImportsConfig {
  readonly tableName: string;
  readonly bucketName: string;
  /** Set on the validator only (it sends the chunk jobs). */
  readonly chunksQueueUrl: string | undefined;
  /** Rows a chunk worker books at once. */
  readonly rowConcurrency: number;
}

export const importsConfig = (env: Env = process.env): ImportsConfig => ({
  tableName: required(env, IMPORTS_ENV.table),
  bucketName: required(env, IMPORTS_ENV.bucket),
  chunksQueueUrl: env[IMPORTS_ENV.chunksQueueUrl] || undefined,
  rowConcurrency: positiveNumber(env, IMPORTS_ENV.rowConcurrency, 8),
});
