import {
  ConditionalCheckFailedException,
  InternalServerError,
  TransactionCanceledException,
  TransactionConflictException,
} from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import {
  conflictingItems,
  isConditionFailed,
  isWriteConflict,
} from '../../../lambdas/adapters/dynamodb-errors.ts';

const $metadata = {};
const cancelled = (...codes: string[]) =>
  new TransactionCanceledException({
    message: 'cancelled',
    $metadata,
    CancellationReasons: codes.map((Code) => ({ Code })),
  });

describe('conflict detection', () => {
  it('sees a failed condition as a conflict', () => {
    const error = new ConditionalCheckFailedException({ message: 'failed', $metadata });

    expect(isConditionFailed(error)).toBe(true);
    expect(isWriteConflict(error)).toBe(true);
  });

  it('sees a transaction in flight on the item as a conflict, but not as a failed condition', () => {
    const error = new TransactionConflictException({ message: 'conflict', $metadata });

    expect(isWriteConflict(error)).toBe(true);
    expect(isConditionFailed(error)).toBe(false);
  });

  it('names the items of a cancelled transaction that failed their condition or raced', () => {
    const error = cancelled('None', 'ConditionalCheckFailed', 'None', 'TransactionConflict');

    expect(conflictingItems(error)).toEqual([1, 3]);
    expect(isWriteConflict(error)).toBe(true);
  });

  it('does not take a transaction cancelled for another reason for a conflict', () => {
    const error = cancelled('None', 'ValidationError');

    expect(conflictingItems(error)).toEqual([]);
    expect(isWriteConflict(error)).toBe(false);
  });

  it('does not take any other error for a conflict', () => {
    for (const error of [new InternalServerError({ message: 'x', $metadata }), new Error('x'), 'x', null]) {
      expect(isWriteConflict(error)).toBe(false);
      expect(conflictingItems(error)).toEqual([]);
    }
  });
});
