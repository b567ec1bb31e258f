import { IdempotencyConfig, makeIdempotent } from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { Context } from 'aws-lambda';
import { SqsMerchantNotifier } from '../adapters/sqs-merchant-notifier.ts';
import type { MerchantNotifier } from '../domain/notifications.ts';
import { idempotencyConfig, merchantNotificationsQueueConfig } from './config.ts';
import { dynamoDbClient } from './ledger.ts';

/**
 * Worker idempotency records outlive any way a message can come back: SQS keeps a dead letter 14
 * days and an operator may redrive it on the last day, so a duplicate must still be recognised then.
 */
export const WORKER_IDEMPOTENCY_TTL_SECONDS = 15 * 24 * 3600;

let sqs: SQSClient | undefined;
/** One SQS client per container; endpoint and region from the standard AWS_* variables. */
export function sqsClient(): SQSClient {
  sqs ??= new SQSClient({});
  return sqs;
}

let secrets: SecretsManagerClient | undefined;
/** One Secrets Manager client per container (AWS_ENDPOINT_URL_SECRETS_MANAGER locally). */
export function secretsManagerClient(): SecretsManagerClient {
  secrets ??= new SecretsManagerClient({});
  return secrets;
}

let notifier: MerchantNotifier | undefined;
/** The outbound notifications queue. */
export function merchantNotifier(): MerchantNotifier {
  notifier ??= new SqsMerchantNotifier({
    client: sqsClient(),
    queueUrl: merchantNotificationsQueueConfig().queueUrl,
  });
  return notifier;
}

/**
 * Wraps `apply` with Powertools idempotency keyed on a business id inside its input (`keyPath`, a
 * JMESPath), never on the SQS message id. Built on first use: one persistence layer for this one
 * config. Call `register(context)` on every invocation so an in-progress lock expires with it.
 */
export function idempotentRecord<I, R>(
  keyPath: string,
  apply: (input: I) => Promise<R>,
  options: { readonly expiresAfterSeconds?: number } = {},
): { run: (input: I) => Promise<R>; register: (context: Context) => void } {
  let built: { config: IdempotencyConfig; run: (input: I) => Promise<R> } | undefined;
  const build = () => {
    if (built) return built;
    const config = new IdempotencyConfig({
      eventKeyJmesPath: keyPath,
      expiresAfterSeconds: options.expiresAfterSeconds ?? WORKER_IDEMPOTENCY_TTL_SECONDS,
      throwOnNoIdempotencyKey: true,
    });
    const persistenceStore = new DynamoDBPersistenceLayer({
      tableName: idempotencyConfig().idempotencyTableName,
      awsSdkV3Client: dynamoDbClient(),
    });
    built = { config, run: makeIdempotent(apply, { persistenceStore, config }) };
    return built;
  };
  return {
    run: (input) => build().run(input),
    register: (context) => build().config.registerLambdaContext(context),
  };
}
