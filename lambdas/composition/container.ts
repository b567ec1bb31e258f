import type { Tracer } from '@aws-lambda-powertools/tracer';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SQSClient } from '@aws-sdk/client-sqs';
import { tracer } from '../shared/tracing.ts';

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

/**
 * A client as every function uses it: traced by `by` (an X-Ray subsegment per call; none when tracing is
 * off and there is no tracer), no SDK logging.
 */
export function tracedClient<C extends { middlewareStack: { remove(name: string): boolean } }>(
  client: C,
  by: Tracer | undefined,
): C {
  const quiet = withoutSdkLogging(client);
  return by ? by.captureAWSv3Client(quiet) : quiet;
}

// Endpoint and region come from the standard AWS_* variables (AWS_ENDPOINT_URL_<SERVICE> locally).
/** One DynamoDB client per container. */
export const dynamoDbClient = perContainer(() => tracedClient(new DynamoDBClient({}), tracer));
/** One SQS client per container. */
export const sqsClient = perContainer(() => tracedClient(new SQSClient({}), tracer));
/** One Secrets Manager client per container. */
export const secretsManagerClient = perContainer(() => tracedClient(new SecretsManagerClient({}), tracer));
/** One Step Functions client per container. */
export const sfnClient = perContainer(() => tracedClient(new SFNClient({}), tracer));
