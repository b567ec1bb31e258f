import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CachedSecret } from '../adapters/secrets-manager-secret.ts';
import { sandboxProcessorConfig } from '../shared/config.ts';
import { dynamoDbClient, perContainer, secretsManagerClient } from './container.ts';

/** The sandbox processor's dependencies: its state table, its bearer secret, the slow-capture delay. */
export interface SandboxDeps {
  readonly client: DynamoDBClient;
  readonly tableName: string;
  readonly secret: () => Promise<string>;
  /** How long a `pm_card_timeout` capture takes: longer than any client waits. */
  readonly slowCaptureMs: number;
}

/** The sandbox processor's composition root. */
export const sandbox = perContainer((): SandboxDeps => {
  const config = sandboxProcessorConfig();
  const secret = new CachedSecret({ client: secretsManagerClient(), secretId: config.secretArn });
  return {
    client: dynamoDbClient(),
    tableName: config.tableName,
    secret: () => secret.value(),
    slowCaptureMs: config.slowCaptureMs,
  };
});
