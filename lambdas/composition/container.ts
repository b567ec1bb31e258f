import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SQSClient } from '@aws-sdk/client-sqs';

/**
 * Builds something on first use and keeps it for the container's life: the one memo of the
 * composition roots (clients, adapters and ports are built once per container, from config).
 */
export function perContainer<T>(build: () => T): () => T {
  let built: { readonly value: T } | undefined;
  return () => {
    if (!built) built = { value: build() };
    return built.value;
  };
}

/** The SDK's per-call logging step: the one middleware a client can do without. */
export const SDK_LOGGER_MIDDLEWARE = 'loggerMiddleware';

/**
 * A client without the SDK's logger middleware. That step copies every command's input and output through
 * the schema's sensitive-data filter before handing them to the client's logger, which is a no-op here (no
 * `logger` is configured): about 5 % of a transfer's CPU in the API function, for nothing.
 */
export function withoutSdkLogging<C extends { middlewareStack: { remove(name: string): boolean } }>(
  client: C,
): C {
  client.middlewareStack.remove(SDK_LOGGER_MIDDLEWARE);
  return client;
}

// Endpoint and region come from the standard AWS_* variables (AWS_ENDPOINT_URL_<SERVICE> locally).
/** One DynamoDB client per container. */
export const dynamoDbClient = perContainer(() => withoutSdkLogging(new DynamoDBClient({})));
/** One SQS client per container. */
export const sqsClient = perContainer(() => withoutSdkLogging(new SQSClient({})));
/** One Secrets Manager client per container. */
export const secretsManagerClient = perContainer(() => withoutSdkLogging(new SecretsManagerClient({})));
/** One Step Functions client per container. */
export const sfnClient = perContainer(() => withoutSdkLogging(new SFNClient({})));
