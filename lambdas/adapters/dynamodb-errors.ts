import type { CancellationReason } from '@aws-sdk/client-dynamodb';

/** A DynamoDB failure the adapters do not translate into a domain error; the SDK error is the `cause`. */
export class DynamoDbAdapterError extends Error {
  override readonly name = 'DynamoDbAdapterError';
}

/** A stored item that breaks an invariant (another tenant's data, a missing attribute): never served. */
export class CorruptItemError extends Error {
  override readonly name = 'CorruptItemError';
  /** Where the item lives, e.g. `account#t1#acct_1@7`. */
  readonly location: string;
  constructor(location: string, problem: string, options?: ErrorOptions) {
    super(`Item ${location} is corrupt: ${problem}`, options);
    this.location = location;
  }
}

/** Reads typed attributes from an unmarshalled item, failing with CorruptItemError on a wrong shape. */
export class ItemReader {
  readonly #item: Readonly<Record<string, unknown>>;
  readonly #location: string;
  constructor(item: Readonly<Record<string, unknown>>, location: string) {
    this.#item = item;
    this.#location = location;
  }

  string(name: string): string {
    const value = this.#item[name];
    if (typeof value !== 'string') throw this.corrupt(`'${name}' is not a string`);
    return value;
  }

  integer(name: string): number {
    const value = this.#item[name];
    if (typeof value !== 'number' || !Number.isSafeInteger(value)) {
      throw this.corrupt(`'${name}' is not a safe integer`);
    }
    return value;
  }

  map(name: string): Record<string, unknown> {
    const value = this.#item[name];
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw this.corrupt(`'${name}' is not a map`);
    }
    return value as Record<string, unknown>;
  }

  present(name: string): unknown {
    const value = this.#item[name];
    if (value === undefined) throw this.corrupt(`'${name}' is missing`);
    return value;
  }

  corrupt(problem: string): CorruptItemError {
    return new CorruptItemError(this.#location, problem);
  }
}

/** Cancellation reason codes that mean another writer got there first: read again and decide again. */
const CONFLICT_CODES: ReadonlySet<string> = new Set(['ConditionalCheckFailed', 'TransactionConflict']);

/** A single write's condition failed (checked by name: the SDK's class and a re-thrown copy both count). */
export function isConditionFailed(error: unknown): boolean {
  return error instanceof Error && error.name === 'ConditionalCheckFailedException';
}

/**
 * The indexes of the items of a cancelled TransactWriteItems that failed their condition or raced
 * another transaction, in item order; empty for any other error (or a cancellation for another reason).
 */
export function conflictingItems(error: unknown): number[] {
  if (!(error instanceof Error) || error.name !== 'TransactionCanceledException') return [];
  const reasons =
    (error as { CancellationReasons?: readonly CancellationReason[] }).CancellationReasons ?? [];
  return reasons.flatMap((reason, index) =>
    reason.Code !== undefined && CONFLICT_CODES.has(reason.Code) ? [index] : [],
  );
}

/**
 * Another writer got there first: a failed condition, a transaction in flight on the same item
 * (TransactionConflict), or a transaction cancelled for one of those. Anything else is not a conflict.
 */
export function isWriteConflict(error: unknown): boolean {
  return (
    isConditionFailed(error) ||
    (error instanceof Error && error.name === 'TransactionConflictException') ||
    conflictingItems(error).length > 0
  );
}
