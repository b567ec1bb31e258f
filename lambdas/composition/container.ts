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

// Endpoint and region come from the standard AWS_* variables (AWS_ENDPOINT_URL_<SERVICE> locally).
/** One DynamoDB client per container. */
export const dynamoDbClient = perContainer(() => new DynamoDBClient({}));
/** One SQS client per container. */
export const sqsClient = perContainer(() => new SQSClient({}));
/** One Secrets Manager client per container. */
export const secretsManagerClient = perContainer(() => new SecretsManagerClient({}));
/** One Step Functions client per container. */
export const sfnClient = perContainer(() => new SFNClient({}));
