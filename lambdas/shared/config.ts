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
