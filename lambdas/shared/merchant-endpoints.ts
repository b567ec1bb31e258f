import { DynamoDbDeliveryLog, DynamoDbMerchantEndpoints } from '../adapters/dynamodb-webhooks.ts';
import { CachedSecret } from '../adapters/secrets-manager-secret.ts';
import type { DeliveryLog, MerchantEndpoints } from '../domain/webhooks.ts';
import { deliveriesConfig, merchantEndpointsConfig } from './config.ts';
import { dynamoDbClient } from './ledger.ts';
import { SecretBox } from './secret-box.ts';
import { secretsManagerClient } from './workers.ts';

let endpoints: MerchantEndpoints | undefined;
/** Merchants' webhook endpoints, their signing secrets sealed under the stack's key secret. */
export function merchantEndpoints(): MerchantEndpoints {
  if (!endpoints) {
    const config = merchantEndpointsConfig();
    const key = new CachedSecret({ client: secretsManagerClient(), secretId: config.secretsKeyArn });
    endpoints = new DynamoDbMerchantEndpoints({
      client: dynamoDbClient(),
      tableName: config.endpointsTableName,
      sealer: new SecretBox(() => key.value()),
    });
  }
  return endpoints;
}

let log: DeliveryLog | undefined;
/** Every delivery attempt, per merchant. */
export function deliveryLog(): DeliveryLog {
  log ??= new DynamoDbDeliveryLog({
    client: dynamoDbClient(),
    tableName: deliveriesConfig().deliveriesTableName,
  });
  return log;
}
