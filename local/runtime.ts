import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { type ApiGateway, startApiGateway } from './api-gateway.ts';
import { type ApiKey, type ApiModel, apiGatewayValues, buildApiModel } from './api-model.ts';
import { bindTasks, substitute } from './asl.ts';
import { checkpointStore } from './checkpoints.ts';
import { loadStackAssembly, type StackAssembly } from './cloud-assembly.ts';
import { createTable, type DynamoDbLocal, LOCAL_CREDENTIALS, startDynamoDbLocal } from './dynamodb.ts';
import { TemplateError } from './errors.ts';
import { type EventSourceMapping, readEventSourceMapping } from './event-source-mapping.ts';
import { FunctionUrls } from './function-urls.ts';
import { type FunctionSpec, type InvokeResult, LambdaPool, type LogSink } from './lambda-pool.ts';
import { arns, functionNameFromArnOrName, physicalName, stableId } from './naming.ts';
import { type SecretsManagerEmulator, startSecretsManager } from './secrets-manager.ts';
import { type SqsEmulator, startSqsEmulator } from './sqs.ts';
import { startSqsPoller } from './sqs-poller.ts';
import { type StateMachineSpec, StepFunctionsService } from './step-functions.ts';
import { startStreamPoller } from './stream-poller.ts';
import { type PlannedResource, planStack } from './template.ts';
import { StackValues } from './values.ts';

export interface LocalRuntimeOptions {
  /** The cloud assembly directory (`cdk.out`). */
  readonly cdkOut: string;
  /** Needed only when the assembly holds more than one stack. */
  readonly stackName?: string;
  /** Where `@aws-sdk/*` is resolved from for bundles that leave it external; default: the current directory. */
  readonly projectRoot?: string;
  /** API port; default 3000, 0 for a free port. */
  readonly port?: number;
  readonly host?: string;
  /** Service ports; default 0 (free port). */
  readonly dynamodbPort?: number;
  readonly sqsPort?: number;
  readonly sfnPort?: number;
  readonly secretsManagerPort?: number;
  /**
   * Values of `AWS::SecretsManager::Secret`s by logical id. Default: `LEDGERLINE_LOCAL_SECRET_<LogicalId>`
   * (or `…_FILE`, a file holding it), else the value kept by `persistDir`, else `SecretString`, else generated.
   */
  readonly secrets?: Readonly<Record<string, string>>;
  /** Keep tables, queues and stream checkpoints in this directory between runs; default: fresh each run. */
  readonly persistDir?: string;
  readonly region?: string;
  /** Extra API keys, each its own tenant; default: `LEDGERLINE_LOCAL_API_KEYS` (comma-separated). */
  readonly apiKeys?: readonly string[];
  /** Runtime messages (what started, notices, poller errors); default: stderr. */
  readonly log?: (line: string) => void;
  /** Output of the functions; default: stdout prefixed with the function name. */
  readonly functionLog?: LogSink;
}

/** A running local stack. */
export interface LocalRuntime {
  readonly stackName: string;
  /** Base URL of the REST API (no stage in the path), if the stack has one. */
  readonly apiUrl: string | undefined;
  readonly apiKeys: readonly ApiKey[];
  /** The development key printed at start; valid on every method that requires a key. */
  readonly devApiKey: ApiKey;
  readonly endpoints: {
    readonly dynamodb?: string;
    readonly sqs: string;
    readonly stepFunctions: string;
    readonly secretsManager: string;
  };
  /** The current value of a stack secret by logical id, name or ARN. */
  secretValue(id: string): string | undefined;
  /** Stack outputs resolved to local values. */
  readonly outputs: Readonly<Record<string, unknown>>;
  /** `Ref` value of every resource by logical id (table names, queue URLs, function names, ARNs...). */
  readonly refs: Readonly<Record<string, string>>;
  readonly functions: readonly FunctionSpec[];
  readonly api: ApiModel | undefined;
  /** Invokes a function by logical id, name or ARN. */
  invoke(fn: string, event: unknown): Promise<InvokeResult>;
  /** Process ids of child processes (DynamoDB Local's java), for memory accounting. */
  readonly childPids: readonly number[];
  stop(): Promise<void>;
}

/** A stable id for an API key value, so a tenant keyed on `apiKeyId` survives restarts. */
export function apiKeyIdFor(value: string): string {
  return stableId(`api-key/${value}`);
}

function envKeys(options: LocalRuntimeOptions): string[] {
  if (options.apiKeys) return [...options.apiKeys];
  return (process.env.LEDGERLINE_LOCAL_API_KEYS ?? '')
    .split(',')
    .map((k) => k.trim())
    .filter(Boolean);
}

/** The id, ARNs and names CloudFormation gives resources the local runtime does not build. */
function skippedValues(
  r: PlannedResource,
  stackName: string,
  region: string,
): { ref: string; attributes: Record<string, string> } {
  const name = physicalName(stackName, r.logicalId, 64);
  switch (r.type) {
    case 'AWS::IAM::Role':
      return { ref: name, attributes: { Arn: arns.role(name), RoleId: stableId(name, 21).toUpperCase() } };
    case 'AWS::IAM::ManagedPolicy':
      return { ref: arns.policy(name), attributes: { PolicyArn: arns.policy(name) } };
    case 'AWS::Logs::LogGroup': {
      const groupName = typeof r.properties.LogGroupName === 'string' ? r.properties.LogGroupName : name;
      return { ref: groupName, attributes: { Arn: arns.logGroup(region, groupName) } };
    }
    case 'AWS::CloudWatch::Alarm':
      return { ref: name, attributes: { Arn: arns.alarm(region, name) } };
    default:
      return { ref: name, attributes: {} };
  }
}

/** Functions that only serve CDK's own custom resources (e.g. log retention): never app code. */
function providerFunctions(resources: readonly PlannedResource[]): Set<string> {
  const ids = new Set<string>();
  for (const r of resources) {
    if (!r.type.startsWith('Custom::')) continue;
    const token = r.properties.ServiceToken as { 'Fn::GetAtt'?: [string, string] } | undefined;
    const id = token?.['Fn::GetAtt']?.[0];
    if (id) ids.add(id);
  }
  return ids;
}

/**
 * Starts the stack described by a synthesized template: DynamoDB Local, an SQS emulator, a Step Functions
 * endpoint, every function in its own worker, the API, and the event source pollers.
 */
export async function startLocalRuntime(options: LocalRuntimeOptions): Promise<LocalRuntime> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const region = options.region ?? 'us-east-1';
  const projectRoot = resolve(options.projectRoot ?? process.cwd());
  const assembly = loadStackAssembly(options.cdkOut, options.stackName);
  const { stackName } = assembly;
  const values = new StackValues(assembly.template, stackName, region);
  const plan = planStack(assembly, (name, at) => values.condition(name, at));
  const built = plan.filter((r) => r.role === 'build');
  const providers = providerFunctions(plan);
  const persist = options.persistDir ? resolve(options.persistDir) : undefined;

  const stoppers: (() => Promise<void>)[] = [];
  const stopAll = async () => {
    for (const stop of stoppers.reverse().splice(0)) {
      try {
        await stop();
      } catch (error) {
        log(`stop: ${String(error)}`);
      }
    }
  };

  try {
    const needsDynamo = built.some((r) => r.type.startsWith('AWS::DynamoDB::'));
    // Started side by side; whichever started is stopped again if the other fails.
    const [dynamoStart, sqsStart] = await Promise.allSettled([
      needsDynamo
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

    const pool = new LambdaPool({
      projectRoot,
      ...(options.functionLog ? { onLog: options.functionLog } : {}),
    });
    stoppers.push(() => pool.stop());
    const sfn = new StepFunctionsService(pool, region);
    const sfnEndpoint = await sfn.listen(options.sfnPort ?? 0);
    stoppers.push(() => sfn.stop());
    const functionUrls = new FunctionUrls((name, event) => pool.invoke(name, event));
    stoppers.push(() => functionUrls.stop());
    const secrets = await startSecretsManager({
      port: options.secretsManagerPort ?? 0,
      sources: { env: process.env, ...(options.secrets ? { overrides: options.secrets } : {}) },
      ...(persist ? { dataFile: join(persist, 'secrets.json') } : {}),
    });
    stoppers.push(() => secrets.stop());

    const world = await buildResources({
      plan,
      values,
      stackName,
      region,
      assembly,
      pool,
      sfn,
      dynamo,
      sqs,
      providers,
      sfnEndpoint,
      secrets,
      functionUrls,
      log,
    });

    const devValue = `dev-${stableId(`${stackName}/dev-key`, 28)}`;
    const extraKeys: ApiKey[] = [
      ...envKeys(options).map(
        (value, i): ApiKey => ({
          id: apiKeyIdFor(value),
          value,
          name: `env-${i + 1}`,
          source: 'env',
          enabled: true,
          validForStage: true,
        }),
      ),
      {
        id: apiKeyIdFor(devValue),
        value: devValue,
        name: 'dev',
        source: 'dev',
        enabled: true,
        validForStage: true,
      },
    ];
    const api = buildApiModel({
      stackName,
      resources: plan,
      values,
      extraKeys,
      generatedKeyValue: (logicalId) => `local-${stableId(`${stackName}/${logicalId}/value`, 30)}`,
    });
    for (const route of api?.routes ?? []) {
      const target = route.integration.kind === 'lambda' ? route.integration.functionName : undefined;
      if (target && !pool.find(target))
        throw new TemplateError(
          route.logicalId,
          'AWS::ApiGateway::Method',
          `integration target ${target} is not a function of this stack`,
        );
    }
    for (const notice of api?.notices ?? []) log(`note: ${notice}`);

    let gateway: ApiGateway | undefined;
    if (api) {
      gateway = await startApiGateway({
        model: api,
        pool,
        region,
        port: options.port ?? 3000,
        ...(options.host ? { host: options.host } : {}),
      });
      const g = gateway;
      stoppers.push(() => g.stop());
    }

    const pollers = startPollers({
      mappings: world.mappings,
      world,
      pool,
      region,
      dynamo,
      sqs,
      persist,
      log,
    });
    stoppers.push(async () => {
      await Promise.all(pollers.map((p) => p.stop()));
    });

    const outputs: Record<string, unknown> = {};
    for (const [name, output] of Object.entries(assembly.template.Outputs ?? {})) {
      if (output.Condition && !values.condition(output.Condition, `Outputs.${name}`)) continue;
      outputs[name] = values.resolve(output.Value, `Outputs.${name}`);
    }
    const refs: Record<string, string> = {};
    for (const r of plan) {
      const v = values.get(r.logicalId);
      if (v) refs[r.logicalId] = v.ref;
    }
    const devApiKey = extraKeys[extraKeys.length - 1] as ApiKey;
    return {
      stackName,
      apiUrl: gateway?.url,
      apiKeys: api?.keys ?? extraKeys,
      devApiKey,
      endpoints: {
        ...(dynamo ? { dynamodb: dynamo.endpoint } : {}),
        sqs: sqs.endpoint,
        stepFunctions: sfnEndpoint,
        secretsManager: secrets.endpoint,
      },
      secretValue: (id) => secrets.value(refs[id] ?? id),
      outputs,
      refs,
      functions: pool.list(),
      api,
      invoke: (fn, event) => pool.invoke(refs[fn] ?? fn, event),
      childPids: dynamo?.pid ? [dynamo.pid] : [],
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

interface World {
  /** Event source mappings with resolved properties; pollers start once everything else exists. */
  readonly mappings: {
    logicalId: string;
    type: string;
    properties: Record<string, unknown>;
    functionName: string;
  }[];
  readonly streams: Map<string, string>;
  readonly queues: Map<string, { url: string; name: string; visibilityTimeout: number }>;
}

async function buildResources(input: {
  plan: readonly PlannedResource[];
  values: StackValues;
  stackName: string;
  region: string;
  assembly: StackAssembly;
  pool: LambdaPool;
  sfn: StepFunctionsService;
  dynamo: DynamoDbLocal | undefined;
  sqs: SqsEmulator;
  providers: ReadonlySet<string>;
  sfnEndpoint: string;
  secrets: SecretsManagerEmulator;
  functionUrls: FunctionUrls;
  log: (line: string) => void;
}): Promise<World> {
  const { plan, values, stackName, region, assembly, pool, sfn, dynamo, sqs } = input;
  const world: World = { mappings: [], streams: new Map(), queues: new Map() };
  const dynamoClient = dynamo
    ? new DynamoDBClient({ endpoint: dynamo.endpoint, region, credentials: LOCAL_CREDENTIALS })
    : undefined;
  const props = <T = unknown>(r: PlannedResource, name: string): T | undefined =>
    r.properties[name] === undefined
      ? undefined
      : values.resolve<T>(r.properties[name], `${r.logicalId}.${name}`);
  try {
    for (const r of plan) {
      const fail = (message: string): never => {
        throw new TemplateError(r.logicalId, r.type, message);
      };
      if (r.role === 'skipped') {
        values.register(r.logicalId, r.type, skippedValues(r, stackName, region));
        continue;
      }
      switch (r.type) {
        case 'AWS::DynamoDB::Table':
        case 'AWS::DynamoDB::GlobalTable': {
          const name = props<string>(r, 'TableName') ?? physicalName(stackName, r.logicalId, 255);
          const properties = values.resolve<Record<string, unknown>>(r.properties, r.logicalId);
          const table = await createTable(
            dynamoClient as DynamoDBClient,
            { logicalId: r.logicalId, type: r.type, name, properties },
            arns.table(region, name),
          );
          if (table.streamArn) world.streams.set(table.streamArn, name);
          values.register(r.logicalId, r.type, {
            ref: name,
            attributes: { Arn: table.arn, ...(table.streamArn ? { StreamArn: table.streamArn } : {}) },
          });
          break;
        }
        case 'AWS::SQS::Queue': {
          const fifo = props(r, 'FifoQueue') === true || props(r, 'FifoQueue') === 'true';
          const name =
            props<string>(r, 'QueueName') ??
            (fifo
              ? `${physicalName(stackName, r.logicalId, 75)}.fifo`
              : physicalName(stackName, r.logicalId, 80));
          const properties = values.resolve<Record<string, unknown>>(r.properties, r.logicalId);
          const queue = sqs.createQueue({ logicalId: r.logicalId, name, properties });
          world.queues.set(queue.arn, {
            url: queue.url,
            name,
            visibilityTimeout: Number(properties.VisibilityTimeout ?? 30),
          });
          values.register(r.logicalId, r.type, {
            ref: queue.url,
            attributes: { Arn: queue.arn, QueueName: name, QueueUrl: queue.url },
          });
          break;
        }
        case 'AWS::Lambda::Function': {
          const name = props<string>(r, 'FunctionName') ?? physicalName(stackName, r.logicalId, 64);
          const arn = arns.lambda(region, name);
          values.register(r.logicalId, r.type, { ref: name, attributes: { Arn: arn } });
          if (input.providers.has(r.logicalId)) {
            input.log(`skipped ${r.logicalId}: it only serves a CDK custom resource`);
            break;
          }
          pool.register(
            functionSpec(r, name, arn, {
              values,
              assembly,
              region,
              dynamo,
              sqs,
              sfnEndpoint: input.sfnEndpoint,
              secretsEndpoint: input.secrets.endpoint,
              fail,
            }),
          );
          break;
        }
        case 'AWS::Lambda::EventSourceMapping': {
          const properties = values.resolve<Record<string, unknown>>(r.properties, r.logicalId);
          const target =
            typeof properties.FunctionName === 'string'
              ? properties.FunctionName
              : fail('FunctionName is required');
          world.mappings.push({
            logicalId: r.logicalId,
            type: r.type,
            properties,
            functionName: functionNameFromArnOrName(target),
          });
          values.register(r.logicalId, r.type, {
            ref: stableId(`${stackName}/${r.logicalId}`, 36),
            attributes: {},
          });
          break;
        }
        case 'AWS::SecretsManager::Secret': {
          const name = props<string>(r, 'Name') ?? physicalName(stackName, r.logicalId, 512);
          const arn = arns.secret(region, name);
          const properties = values.resolve<Record<string, unknown>>(r.properties, r.logicalId);
          input.secrets.register({ logicalId: r.logicalId, name, arn, properties });
          // CloudFormation: Ref and Fn::GetAtt Id both give the ARN.
          values.register(r.logicalId, r.type, { ref: arn, attributes: { Id: arn } });
          break;
        }
        case 'AWS::Lambda::Url': {
          const target = props<string>(r, 'TargetFunctionArn') ?? fail('TargetFunctionArn is required');
          const functionName = functionNameFromArnOrName(target);
          if (!pool.find(functionName)) fail(`TargetFunctionArn ${target} is not a function of this stack`);
          const url = await input.functionUrls.add({
            logicalId: r.logicalId,
            functionName,
            authType: props<string>(r, 'AuthType') === 'AWS_IAM' ? 'AWS_IAM' : 'NONE',
          });
          input.log(`function URL ${r.logicalId} → ${functionName} at ${url}`);
          // CloudFormation: Fn::GetAtt FunctionUrl is the URL (with a trailing slash), FunctionArn the target.
          values.register(r.logicalId, r.type, {
            ref: target,
            attributes: { FunctionUrl: url, FunctionArn: target },
          });
          break;
        }
        case 'AWS::StepFunctions::StateMachine': {
          const name = props<string>(r, 'StateMachineName') ?? physicalName(stackName, r.logicalId, 80);
          const arn = arns.stateMachine(region, name);
          const spec = stateMachineSpec(r, name, arn, { values, assembly, pool, fail });
          sfn.register(spec);
          values.register(r.logicalId, r.type, {
            ref: arn,
            attributes: { Arn: arn, Name: name, StateMachineRevisionId: 'INITIAL' },
          });
          break;
        }
        default:
          if (r.type.startsWith('AWS::ApiGateway::')) {
            values.register(
              r.logicalId,
              r.type,
              apiGatewayValues(stackName, r, (v, at) => values.resolve(v, at)),
            );
            break;
          }
          fail('resource type is not supported by the local runtime');
      }
    }
  } finally {
    dynamoClient?.destroy();
  }
  return world;
}

function functionSpec(
  r: PlannedResource,
  name: string,
  arn: string,
  ctx: {
    values: StackValues;
    assembly: StackAssembly;
    region: string;
    dynamo: DynamoDbLocal | undefined;
    sqs: SqsEmulator;
    sfnEndpoint: string;
    secretsEndpoint: string;
    fail: (message: string) => never;
  },
): FunctionSpec {
  const { values, fail } = ctx;
  const p = values.resolve<Record<string, unknown>>(
    Object.fromEntries(Object.entries(r.properties).filter(([k]) => k !== 'Role')),
    r.logicalId,
  );
  if (p.PackageType === 'Image') fail('container image functions are not supported locally');
  const runtime = String(p.Runtime ?? '');
  if (!runtime.startsWith('nodejs'))
    fail(`runtime ${runtime || '(none)'} is not supported locally (Node.js only)`);
  const code = (p.Code ?? {}) as { S3Key?: string; ZipFile?: string };
  if (code.ZipFile !== undefined)
    fail('inline code (Code.ZipFile) is not supported locally; use a bundled asset');
  const assetDir = code.S3Key ? ctx.assembly.assetPath(code.S3Key) : undefined;
  if (!assetDir || !existsSync(assetDir))
    fail(`the code asset ${code.S3Key ?? '(none)'} is not in the cloud assembly`);
  const handler = String(p.Handler ?? '');
  const dot = handler.lastIndexOf('.');
  if (dot <= 0) fail(`Handler ${handler} must look like file.export`);
  const base = join(assetDir as string, handler.slice(0, dot));
  const entryFile = ['.mjs', '.js', '.cjs'].map((ext) => base + ext).find((file) => existsSync(file));
  if (!entryFile) fail(`handler file ${handler.slice(0, dot)}.mjs/.js/.cjs not found in ${assetDir}`);
  const variables = ((p.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ??
    {}) as Record<string, unknown>;
  const logging = (p.LoggingConfig ?? {}) as { LogFormat?: string; ApplicationLogLevel?: string };
  const memoryMb = Number(p.MemorySize ?? 128);
  const env: Record<string, string> = {
    AWS_REGION: ctx.region,
    AWS_DEFAULT_REGION: ctx.region,
    AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
    AWS_ENDPOINT_URL_SQS: ctx.sqs.endpoint,
    AWS_ENDPOINT_URL_SFN: ctx.sfnEndpoint,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: ctx.secretsEndpoint,
    ...(ctx.dynamo
      ? {
          AWS_ENDPOINT_URL_DYNAMODB: ctx.dynamo.endpoint,
          AWS_ENDPOINT_URL_DYNAMODB_STREAMS: ctx.dynamo.endpoint,
        }
      : {}),
    AWS_LAMBDA_FUNCTION_NAME: name,
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(memoryMb),
    AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${name}`,
    AWS_EXECUTION_ENV: `AWS_Lambda_${runtime}`,
    LAMBDA_TASK_ROOT: assetDir as string,
    _HANDLER: handler,
    ...(logging.LogFormat ? { AWS_LAMBDA_LOG_FORMAT: logging.LogFormat } : {}),
    ...(logging.ApplicationLogLevel ? { AWS_LAMBDA_LOG_LEVEL: logging.ApplicationLogLevel } : {}),
  };
  for (const [key, value] of Object.entries(variables)) env[key] = String(value);
  const reserved = p.ReservedConcurrentExecutions;
  return {
    logicalId: r.logicalId,
    name,
    arn,
    entryFile: entryFile as string,
    exportName: handler.slice(dot + 1),
    handler,
    timeoutSeconds: Number(p.Timeout ?? 3),
    memoryMb,
    env,
    ...(reserved !== undefined ? { reservedConcurrency: Number(reserved) } : {}),
  };
}

function stateMachineSpec(
  r: PlannedResource,
  name: string,
  arn: string,
  ctx: {
    values: StackValues;
    assembly: StackAssembly;
    pool: LambdaPool;
    fail: (message: string) => never;
  },
): StateMachineSpec {
  const { values, fail } = ctx;
  const resolveProp = <T>(key: string): T | undefined =>
    r.properties[key] === undefined
      ? undefined
      : values.resolve<T>(r.properties[key], `${r.logicalId}.${key}`);
  let text: string;
  const location = resolveProp<{ Key?: string }>('DefinitionS3Location');
  const inline = resolveProp<string>('DefinitionString');
  const object = resolveProp<unknown>('Definition');
  if (location) {
    const file = location.Key ? ctx.assembly.assetPath(location.Key) : undefined;
    if (!file || !existsSync(file))
      fail(`definition asset ${location.Key ?? '(none)'} is not in the cloud assembly`);
    text = readFileSync(file as string, 'utf8');
  } else if (inline !== undefined) text = inline;
  else if (object !== undefined) text = JSON.stringify(object);
  else text = fail('the state machine has no definition');
  const substitutions = resolveProp<Record<string, unknown>>('DefinitionSubstitutions') ?? {};
  const definitionText = substitute(
    text,
    Object.fromEntries(Object.entries(substitutions).map(([k, v]) => [k, String(v)])),
  );
  let definition: Record<string, unknown>;
  try {
    definition = JSON.parse(definitionText) as Record<string, unknown>;
  } catch (error) {
    definition = fail(`definition is not JSON after substitutions: ${String(error)}`);
  }
  const tasks = bindTasks(definition, r.logicalId, (fn) => ctx.pool.find(fn) !== undefined);
  const type = String(resolveProp('StateMachineType') ?? 'STANDARD');
  if (type !== 'STANDARD' && type !== 'EXPRESS') fail(`StateMachineType ${type} is not supported`);
  const roleArn =
    r.properties.RoleArn === undefined
      ? undefined
      : values.resolve<string>(r.properties.RoleArn, `${r.logicalId}.RoleArn`);
  return {
    logicalId: r.logicalId,
    name,
    arn,
    type: type as 'STANDARD' | 'EXPRESS',
    definitionText,
    tasks,
    ...(roleArn ? { roleArn } : {}),
  };
}

function startPollers(input: {
  mappings: World['mappings'];
  world: World;
  pool: LambdaPool;
  region: string;
  dynamo: DynamoDbLocal | undefined;
  sqs: SqsEmulator;
  persist: string | undefined;
  log: (line: string) => void;
}): { stop(): Promise<void> }[] {
  const { world, pool, region, sqs, log } = input;
  const checkpoints = checkpointStore(
    input.persist ? join(input.persist, 'stream-checkpoints.json') : undefined,
  );
  const sqsClient = new SQSClient({
    endpoint: sqs.endpoint,
    region,
    credentials: LOCAL_CREDENTIALS,
    useQueueUrlAsEndpoint: false,
  });
  const sendToQueue = async (queueArn: string, body: string) => {
    const queue = world.queues.get(queueArn);
    if (!queue) throw new Error(`on-failure destination ${queueArn} is not a queue of this stack`);
    await sqsClient.send(new SendMessageCommand({ QueueUrl: queue.url, MessageBody: body }));
  };
  const pollers: { stop(): Promise<void> }[] = [{ stop: async () => sqsClient.destroy() }];
  const specs: { mapping: EventSourceMapping; start: () => { stop(): Promise<void> } }[] = [];
  for (const { logicalId, type, properties, functionName } of input.mappings) {
    const fn = pool.find(functionName);
    if (!fn) throw new TemplateError(logicalId, type, `function ${functionName} is not in this stack`);
    const uuid = stableId(logicalId, 36);
    const source = String(properties.EventSourceArn);
    if (world.streams.has(source)) {
      const mapping = readEventSourceMapping(logicalId, uuid, properties, 'stream', fn.name);
      if (Number(properties.ParallelizationFactor ?? 1) > 1) {
        log(
          `note: ${logicalId}: ParallelizationFactor ${properties.ParallelizationFactor} runs as 1 locally (one batch per shard)`,
        );
      }
      if (mapping.onFailureArn && !world.queues.has(mapping.onFailureArn)) {
        throw new TemplateError(
          logicalId,
          type,
          `on-failure destination ${mapping.onFailureArn} is not a queue of this stack`,
        );
      }
      const endpoint = (input.dynamo as DynamoDbLocal).endpoint;
      specs.push({
        mapping,
        start: () =>
          startStreamPoller({
            mapping,
            streamArn: source,
            endpoint,
            region,
            pool,
            functionArn: fn.arn,
            checkpoints,
            sendToQueue,
            log,
          }),
      });
    } else if (world.queues.has(source)) {
      const queue = world.queues.get(source) as { url: string; visibilityTimeout: number };
      const mapping = readEventSourceMapping(logicalId, uuid, properties, 'sqs', fn.name);
      if (queue.visibilityTimeout < fn.timeoutSeconds) {
        throw new TemplateError(
          logicalId,
          type,
          `queue visibility timeout ${queue.visibilityTimeout}s is less than the function timeout ${fn.timeoutSeconds}s (AWS refuses this mapping)`,
        );
      }
      specs.push({
        mapping,
        start: () =>
          startSqsPoller({
            mapping,
            queueUrl: queue.url,
            queueArn: source,
            endpoint: sqs.endpoint,
            region,
            pool,
            log,
          }),
      });
    } else {
      throw new TemplateError(
        logicalId,
        type,
        `event source ${source} is not a table stream or queue of this stack`,
      );
    }
  }
  for (const { mapping, start } of specs) {
    if (!mapping.enabled) {
      log(`${mapping.logicalId} is disabled (Enabled: false)`);
      continue;
    }
    pollers.push(start());
  }
  return pollers;
}
