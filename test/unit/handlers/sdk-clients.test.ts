import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import {
  dynamoDbClient,
  SDK_LOGGER_MIDDLEWARE,
  secretsManagerClient,
  sfnClient,
  sqsClient,
  withoutSdkLogging,
} from '../../../lambdas/composition/container.ts';

const middlewareNames = (client: { middlewareStack: { identify(): string[] } }) =>
  client.middlewareStack.identify().map((entry) => entry.split(' ')[0]);

describe('the containers SDK clients', () => {
  it('a plain client carries the logger middleware (what the composition root removes)', () => {
    expect(middlewareNames(new DynamoDBClient({ region: 'us-east-1' }))).toContain(SDK_LOGGER_MIDDLEWARE);
  });

  it('withoutSdkLogging drops it and keeps the rest of the stack', () => {
    const plain = middlewareNames(new DynamoDBClient({ region: 'us-east-1' }));
    const lean = middlewareNames(withoutSdkLogging(new DynamoDBClient({ region: 'us-east-1' })));
    expect(lean).not.toContain(SDK_LOGGER_MIDDLEWARE);
    expect(lean).toEqual(plain.filter((name) => name !== SDK_LOGGER_MIDDLEWARE));
  });

  it('every client of the container is built without it', () => {
    process.env.AWS_REGION ??= 'us-east-1';
    for (const client of [dynamoDbClient(), sqsClient(), secretsManagerClient(), sfnClient()]) {
      expect(middlewareNames(client)).not.toContain(SDK_LOGGER_MIDDLEWARE);
    }
  });
});
