import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDbDeliveryLog, DynamoDbMerchantEndpoints } from '../adapters/dynamodb-webhooks.ts';
import { CachedSecret } from '../adapters/secrets-manager-secret.ts';
import {
  CORRELATION_ATTRIBUTE,
  type CorrelatedNotifier,
  SqsMerchantNotifier,
} from '../adapters/sqs-merchant-notifier.ts';
import type { DeliveryLog, MerchantEndpoints } from '../domain/webhooks.ts';
import {
  deliveriesConfig,
  type MerchantEndpointsConfig,
  merchantEndpointsConfig,
  merchantNotificationsQueueConfig,
} from '../shared/config.ts';
import { SecretBox } from '../shared/secret-box.ts';
import { dynamoDbClient, perContainer, secretsManagerClient, sqsClient } from './container.ts';

export { CORRELATION_ATTRIBUTE, type CorrelatedNotifier };

/** Merchants' webhook endpoints, their signing secrets sealed under the stack's key secret. */
export function buildMerchantEndpoints(
  clients: { readonly dynamoDb: DynamoDBClient; readonly secrets: SecretsManagerClient },
  config: Pick<MerchantEndpointsConfig, 'endpointsTableName' | 'secretsKeyArn'>,
): MerchantEndpoints {
  const key = new CachedSecret({ client: clients.secrets, secretId: config.secretsKeyArn });
  return new DynamoDbMerchantEndpoints({
    client: clients.dynamoDb,
    tableName: config.endpointsTableName,
    sealer: new SecretBox(() => key.value()),
  });
}

/** This container's merchant endpoints. */
export const merchantEndpoints = perContainer(() =>
  buildMerchantEndpoints(
    { dynamoDb: dynamoDbClient(), secrets: secretsManagerClient() },
    merchantEndpointsConfig(),
  ),
);

/** Every delivery attempt, per merchant. */
export const deliveryLog = perContainer(
  (): DeliveryLog =>
    new DynamoDbDeliveryLog({
      client: dynamoDbClient(),
      tableName: deliveriesConfig().deliveriesTableName,
    }),
);

/** The outbound notifications queue. */
export function buildMerchantNotifier(client: SQSClient, queueUrl: string): CorrelatedNotifier {
  return new SqsMerchantNotifier({ client, queueUrl });
}

/** This container's notifications queue. */
export const merchantNotifier = perContainer(() =>
  buildMerchantNotifier(sqsClient(), merchantNotificationsQueueConfig().queueUrl),
);
