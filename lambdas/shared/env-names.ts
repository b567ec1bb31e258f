/**
 * Names of the environment variables the stack sets and `config.ts` reads: one list, imported by
 * `lib/` (which sets them) and the config reader (which reads them), so the two cannot drift.
 */
export const ENV = {
  eventsTable: 'EVENTS_TABLE_NAME',
  snapshotsTable: 'SNAPSHOTS_TABLE_NAME',
  auditKeySecret: 'AUDIT_KEY_SECRET_ARN',
  systemShards: 'LEDGER_SYSTEM_SHARDS',
  hotShards: 'LEDGER_HOT_SHARDS',
  amountCeiling: 'LEDGER_AMOUNT_CEILING',
  tenantAmountCeilings: 'LEDGER_TENANT_AMOUNT_CEILINGS',
  idempotencyTable: 'IDEMPOTENCY_TABLE_NAME',
  readModelPointersTable: 'READ_MODEL_POINTERS_TABLE',
  webhookInboxTable: 'WEBHOOK_INBOX_TABLE_NAME',
  processorEventsQueueUrl: 'PROCESSOR_EVENTS_QUEUE_URL',
  processorWebhookSecretArn: 'PROCESSOR_WEBHOOK_SECRET_ARN',
  merchantNotificationsQueueUrl: 'MERCHANT_NOTIFICATIONS_QUEUE_URL',
  merchantEndpointsTable: 'MERCHANT_ENDPOINTS_TABLE_NAME',
  endpointSecretsKeyArn: 'ENDPOINT_SECRETS_KEY_ARN',
  webhookAllowLoopbackHttp: 'WEBHOOK_ALLOW_LOOPBACK_HTTP',
  deliveriesTable: 'DELIVERIES_TABLE_NAME',
  workQueueUrl: 'WORK_QUEUE_URL',
  retryBaseSeconds: 'RETRY_BASE_SECONDS',
  retryCapSeconds: 'RETRY_CAP_SECONDS',
  parkBaseSeconds: 'PARK_BASE_SECONDS',
  parkWindowSeconds: 'PARK_WINDOW_SECONDS',
  deliveryTimeoutMs: 'DELIVERY_TIMEOUT_MS',
  paymentStateMachineArn: 'PAYMENT_STATE_MACHINE_ARN',
  paymentFeeBps: 'PAYMENT_FEE_BPS',
  processorBaseUrl: 'PROCESSOR_BASE_URL',
  processorSecretArn: 'PROCESSOR_SECRET_ARN',
  processorTimeoutMs: 'PROCESSOR_TIMEOUT_MS',
  processorMaxAttempts: 'PROCESSOR_MAX_ATTEMPTS',
  riskPolicy: 'RISK_POLICY',
  velocityTable: 'VELOCITY_TABLE_NAME',
  sandboxTable: 'SANDBOX_TABLE_NAME',
  sandboxSlowCaptureMs: 'SANDBOX_SLOW_CAPTURE_MS',
  exportsTable: 'EXPORTS_TABLE_NAME',
  exportsBucket: 'EXPORTS_BUCKET_NAME',
  exportsQueueUrl: 'EXPORTS_QUEUE_URL',
} as const;

/** Environment variable of each read model's tables: `<blue>,<green>` (set by lib/read-models.ts). */
export const READ_MODEL_TABLES_ENV = {
  'account-view': 'ACCOUNT_VIEW_TABLES',
  'account-history': 'ACCOUNT_HISTORY_TABLES',
  'transfer-view': 'TRANSFER_VIEW_TABLES',
  'daily-totals': 'DAILY_TOTALS_TABLES',
  'payment-view': 'PAYMENT_VIEW_TABLES',
} as const;

/** The pointers table's variable. */
export const READ_MODEL_POINTERS_ENV = ENV.readModelPointersTable;
