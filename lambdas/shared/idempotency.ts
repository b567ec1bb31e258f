import { IdempotencyConfig, makeIdempotent } from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Context } from 'aws-lambda';

/** Where Powertools keeps a function's idempotency records (built by the composition root). */
export interface IdempotencyStore {
  readonly client: DynamoDBClient;
  readonly tableName: string;
}

/** A function made idempotent, and the hook that ties an in-progress lock to the invocation. */
export interface Idempotent<I, D, R> {
  /** Only `input` is the payload (hashed and validated); `deps` is passed through. */
  readonly run: (input: I, deps: D) => Promise<R>;
  readonly register: (context: Context) => void;
}

/**
 * Powertools idempotency around `apply` (its second argument, the dependencies, must not look like a
 * Lambda context), built once per store: one persistence layer for one config
 * (sharing a layer between two configs makes their keys collide; see TOOLCHAIN.md). In a container
 * the store is built once, so this builds once; tests that pass their own store get their own layer.
 */
export function idempotentPerStore<I, D, R>(
  options: ConstructorParameters<typeof IdempotencyConfig>[0],
  apply: (input: I, deps: D) => Promise<R>,
): (store: IdempotencyStore) => Idempotent<I, D, R> {
  const built = new WeakMap<IdempotencyStore, Idempotent<I, D, R>>();
  return (store) => {
    let idempotent = built.get(store);
    if (!idempotent) {
      const config = new IdempotencyConfig(options);
      const persistenceStore = new DynamoDBPersistenceLayer({
        tableName: store.tableName,
        awsSdkV3Client: store.client,
      });
      const run = makeIdempotent(apply, { persistenceStore, config });
      idempotent = { run, register: (context) => config.registerLambdaContext(context) };
      built.set(store, idempotent);
    }
    return idempotent;
  };
}
