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
