import { join } from 'node:path';
import type { Chaos } from './chaos.ts';
import { type ChaosDynamoProxy, startChaosDynamoProxy } from './chaos-dynamodb.ts';
import { type DynamoDbLocal, startDynamoDbLocal } from './dynamodb.ts';
import { FunctionUrls } from './function-urls.ts';
import { LambdaPool, type LogSink } from './lambda-pool.ts';
import { type SecretSources, type SecretsManagerEmulator, startSecretsManager } from './secrets-manager.ts';
import { type SqsEmulator, startSqsEmulator } from './sqs.ts';
import { StepFunctionsService } from './step-functions.ts';

/** The emulated AWS services a stack's resources are built in. */
export interface LocalServices {
  /** DynamoDB Local, started only when the stack has tables. */
  readonly dynamo: DynamoDbLocal | undefined;
  readonly sqs: SqsEmulator;
  readonly pool: LambdaPool;
  readonly sfn: StepFunctionsService;
  readonly sfnEndpoint: string;
  readonly functionUrls: FunctionUrls;
  readonly secrets: SecretsManagerEmulator;
  /** Fault injection (never injects when chaos is off). */
  readonly chaos: Chaos;
}

export interface LocalServicesOptions {
  readonly region: string;
  readonly projectRoot: string;
  readonly needsDynamo: boolean;
  /** Keep tables, queues and secrets in this directory between runs. */
  readonly persist: string | undefined;
  readonly dynamodbPort?: number;
  readonly sqsPort?: number;
  readonly sfnPort?: number;
  readonly secretsManagerPort?: number;
  readonly secretSources: Omit<SecretSources, 'stored'>;
  readonly functionLog?: LogSink;
  readonly chaos: Chaos;
}

/**
 * Starts the services; each one's stop goes onto `stoppers` as soon as it runs, so the caller can stop
 * whatever started when a later one fails.
 */
export async function startServices(
  options: LocalServicesOptions,
  stoppers: (() => Promise<void>)[],
): Promise<LocalServices> {
  const { region, persist } = options;
  // Started side by side; whichever started is stopped again if the other fails.
  const [dynamoStart, sqsStart] = await Promise.allSettled([
    options.needsDynamo
      ? startDynamoDbLocal({
          port: options.dynamodbPort ?? 0,
          ...(persist ? { dataDir: join(persist, 'dynamodb') } : {}),
        })
      : Promise.resolve(undefined),
    startSqsEmulator({
      port: options.sqsPort ?? 0,
      region,
      ...(persist ? { dataDir: join(persist, 'sqs') } : {}),
    }),
  ]);
  const dynamo = dynamoStart.status === 'fulfilled' ? dynamoStart.value : undefined;
  if (dynamo) stoppers.push(() => dynamo.stop());
  if (sqsStart.status === 'fulfilled') stoppers.push(() => sqsStart.value.stop());
  if (dynamoStart.status === 'rejected') throw dynamoStart.reason;
  if (sqsStart.status === 'rejected') throw sqsStart.reason;
  const sqs = sqsStart.value;

  const { chaos } = options;
  let pool: LambdaPool | undefined;
  let proxy: ChaosDynamoProxy | undefined;
  if (dynamo && (chaos.active('dynamodb') || chaos.active('lambda'))) {
    proxy = await startChaosDynamoProxy({ target: dynamo.endpoint, region, chaos, invocations: () => pool });
    const p = proxy;
    stoppers.push(() => p.stop());
  }
  pool = new LambdaPool({
    projectRoot: options.projectRoot,
    ...(options.functionLog ? { onLog: options.functionLog } : {}),
    // Functions reach DynamoDB through the chaos proxy (each environment by its own path); streams stay direct.
    environmentEnv: (id, env) =>
      proxy && env.AWS_ENDPOINT_URL_DYNAMODB
        ? { ...env, AWS_ENDPOINT_URL_DYNAMODB: proxy.endpointFor(id) }
        : { ...env },
  });
  const lambdas = pool;
  stoppers.push(() => lambdas.stop());
  const sfn = new StepFunctionsService(lambdas, region);
  const sfnEndpoint = await sfn.listen(options.sfnPort ?? 0);
  stoppers.push(() => sfn.stop());
  const functionUrls = new FunctionUrls((name, event) => lambdas.invoke(name, event), chaos);
  stoppers.push(() => functionUrls.stop());
  const secrets = await startSecretsManager({
    port: options.secretsManagerPort ?? 0,
    sources: options.secretSources,
    ...(persist ? { dataFile: join(persist, 'secrets.json') } : {}),
  });
  stoppers.push(() => secrets.stop());
  return { dynamo, sqs, pool: lambdas, sfn, sfnEndpoint, functionUrls, secrets, chaos };
}
