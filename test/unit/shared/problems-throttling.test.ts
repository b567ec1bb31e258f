import { describe, expect, it } from 'vitest';
import { DynamoDbAdapterError } from '../../../lambdas/adapters/dynamodb-errors.ts';
import { problemResponse } from '../../../lambdas/shared/problems.ts';

const named = (name: string, extra: Record<string, unknown> = {}) =>
  Object.assign(new Error(`${name} from the SDK`), { name, ...extra });

describe('DynamoDB throttling', () => {
  it.each([['ProvisionedThroughputExceededException'], ['ThrottlingException'], ['RequestLimitExceeded']])(
    'answers %s with 503 problem+json and Retry-After',
    (name) => {
      const response = problemResponse(named(name));
      expect(response.statusCode).toBe(503);
      expect(response.headers).toMatchObject({
        'content-type': 'application/problem+json',
        'Retry-After': '1',
      });
      expect(JSON.parse(response.body)).toMatchObject({
        type: 'urn:ledgerline:problem:throttled',
        status: 503,
      });
    },
  );

  it('answers a transaction cancelled for throttling with 503', () => {
    const error = named('TransactionCanceledException', {
      CancellationReasons: [{ Code: 'None' }, { Code: 'ThrottlingError' }],
    });
    expect(problemResponse(error).statusCode).toBe(503);
  });

  it('recognises throttling as the cause of an adapter error', () => {
    const error = new DynamoDbAdapterError('Query of accounts failed', {
      cause: named('ProvisionedThroughputExceededException'),
    });
    expect(problemResponse(error).statusCode).toBe(503);
  });

  it('keeps a transaction cancelled for a failed condition out of the 503s', () => {
    const error = named('TransactionCanceledException', {
      CancellationReasons: [{ Code: 'ConditionalCheckFailed' }],
    });
    const response = problemResponse(error);
    expect(response.statusCode).toBe(500);
    expect(response.headers).not.toHaveProperty('Retry-After');
  });
});
