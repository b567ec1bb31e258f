/** The only module that reads the environment: once, at cold start, failing fast on what is missing. */

type Env = Readonly<Record<string, string | undefined>>;

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
}

export interface IdempotencyConfigValues {
  readonly idempotencyTableName: string;
}

function memo<T>(read: () => T): () => T {
  let value: T | undefined;
  return () => {
    value ??= read();
    return value;
  };
}

/** Tables of the event store, read by every API function. */
export const ledgerConfig = memo(
  (): LedgerConfig => ({
    eventsTableName: required(process.env, 'EVENTS_TABLE_NAME'),
    snapshotsTableName: required(process.env, 'SNAPSHOTS_TABLE_NAME'),
  }),
);

/** The Powertools idempotency table, set only on functions that write. */
export const idempotencyConfig = memo(
  (): IdempotencyConfigValues => ({
    idempotencyTableName: required(process.env, 'IDEMPOTENCY_TABLE_NAME'),
  }),
);

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

/** Environment variable of each read model's tables: `<blue>,<green>` (set by lib/read-models.ts). */
export const READ_MODEL_TABLES_ENV = {
  'account-view': 'ACCOUNT_VIEW_TABLES',
  'account-history': 'ACCOUNT_HISTORY_TABLES',
  'transfer-view': 'TRANSFER_VIEW_TABLES',
  'daily-totals': 'DAILY_TOTALS_TABLES',
  'payment-view': 'PAYMENT_VIEW_TABLES',
} as const;

/** The pointers table's variable. */
export const READ_MODEL_POINTERS_ENV = 'READ_MODEL_POINTERS_TABLE';

/** The read models whose variables are set (a function gets only those it is granted); at least one. */
export const readModelsConfig = memo((): ReadModelsConfig => {
  const tables: Record<string, SlotTablesConfig> = {};
  for (const [model, name] of Object.entries(READ_MODEL_TABLES_ENV)) {
    const value = process.env[name];
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
  return { pointersTable: required(process.env, READ_MODEL_POINTERS_ENV), tables };
});

/** Inbound processor webhooks (issue 6): the receiver and the worker. */
export interface ProcessorWebhooksConfig {
  /** Raw payloads kept for audit, keyed by the processor's event id. */
  readonly inboxTableName: string;
  /** The inbound work queue (set on the receiver only). */
  readonly queueUrl: string | undefined;
  /** The secret the processor signs with (set on the receiver only). */
  readonly signingSecretArn: string | undefined;
}

export const processorWebhooksConfig = memo(
  (): ProcessorWebhooksConfig => ({
    inboxTableName: required(process.env, 'WEBHOOK_INBOX_TABLE_NAME'),
    queueUrl: process.env.PROCESSOR_EVENTS_QUEUE_URL || undefined,
    signingSecretArn: process.env.PROCESSOR_WEBHOOK_SECRET_ARN || undefined,
  }),
);

/** The outbound notifications queue, for every producer (relay, processor-events worker). */
export const merchantNotificationsQueueConfig = memo((): { readonly queueUrl: string } => ({
  queueUrl: required(process.env, 'MERCHANT_NOTIFICATIONS_QUEUE_URL'),
}));

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

export const merchantEndpointsConfig = memo(
  (): MerchantEndpointsConfig => ({
    endpointsTableName: required(process.env, 'MERCHANT_ENDPOINTS_TABLE_NAME'),
    secretsKeyArn: required(process.env, 'ENDPOINT_SECRETS_KEY_ARN'),
    allowLoopbackHttp: process.env.WEBHOOK_ALLOW_LOOPBACK_HTTP === 'true',
  }),
);

export const deliveriesConfig = memo((): { readonly deliveriesTableName: string } => ({
  deliveriesTableName: required(process.env, 'DELIVERIES_TABLE_NAME'),
}));

/** A worker's own queue, and how it spaces retries: full-jitter backoff by changing the message's visibility. */
export interface WorkerQueueConfig {
  readonly queueUrl: string;
  readonly retryBaseSeconds: number;
  readonly retryCapSeconds: number;
}

function positiveNumber(name: string, fallback: number): number {
  const text = process.env[name];
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0)
    throw new Error(`${name} must be a positive number, got '${text}'`);
  return value;
}

export const workerQueueConfig = memo(
  (): WorkerQueueConfig => ({
    queueUrl: required(process.env, 'WORK_QUEUE_URL'),
    retryBaseSeconds: positiveNumber('RETRY_BASE_SECONDS', 5),
    retryCapSeconds: positiveNumber('RETRY_CAP_SECONDS', 900),
  }),
);

/** How long the delivery worker waits for a merchant's endpoint. */
export const deliveryConfig = memo((): { readonly requestTimeoutMs: number } => ({
  requestTimeoutMs: positiveNumber('DELIVERY_TIMEOUT_MS', 5000),
}));

/** Payments (issue 5): the API functions that start the settlement saga. */
export interface PaymentsApiConfig {
  readonly stateMachineArn: string;
  /** The tenant's fee on each payment, in basis points of the amount. */
  readonly feeBps: number;
}

export const paymentsApiConfig = memo(
  (): PaymentsApiConfig => ({
    stateMachineArn: required(process.env, 'PAYMENT_STATE_MACHINE_ARN'),
    feeBps: nonNegativeInteger('PAYMENT_FEE_BPS', 290),
  }),
);

function nonNegativeInteger(name: string, fallback: number): number {
  const text = process.env[name];
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

export const processorClientConfig = memo(
  (): ProcessorClientConfig => ({
    baseUrl: required(process.env, 'PROCESSOR_BASE_URL'),
    secretArn: required(process.env, 'PROCESSOR_SECRET_ARN'),
    timeoutMs: positiveNumber('PROCESSOR_TIMEOUT_MS', 1500),
    maxAttempts: positiveNumber('PROCESSOR_MAX_ATTEMPTS', 2),
  }),
);

/** Risk limits (a JSON RiskPolicy, default below) and the payer velocity counters. */
export interface RiskConfig {
  readonly policyJson: string | undefined;
  readonly velocityTableName: string;
}

export const riskConfig = memo(
  (): RiskConfig => ({
    policyJson: process.env.RISK_POLICY || undefined,
    velocityTableName: required(process.env, 'VELOCITY_TABLE_NAME'),
  }),
);

/** The sandbox processor (deployed with the stack): its state table, secret, and slow-capture delay. */
export interface SandboxProcessorConfig {
  readonly tableName: string;
  readonly secretArn: string;
  /** How long a `pm_card_timeout` capture takes: longer than any client waits. */
  readonly slowCaptureMs: number;
}

export const sandboxProcessorConfig = memo(
  (): SandboxProcessorConfig => ({
    tableName: required(process.env, 'SANDBOX_TABLE_NAME'),
    secretArn: required(process.env, 'PROCESSOR_SECRET_ARN'),
    slowCaptureMs: positiveNumber('SANDBOX_SLOW_CAPTURE_MS', 6000),
  }),
);
