import { resolve } from 'node:path';
import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { TENANT_KEY_PEPPER_ID, TENANTS_TABLE_ID } from '../lib/tenants.ts';
import { alarmSpecsOf, LocalAlarms, snsAlarmPublisher } from './alarms.ts';
import { type ApiGateway, startApiGateway } from './api-gateway.ts';
import { ApiKeyRegistry } from './api-keys.ts';
import { type ApiKey, type ApiModel, buildApiModel } from './api-model.ts';
import { Chaos, type ChaosReport, type ChaosSettings, chaosSettingsFrom } from './chaos.ts';
import { loadStackAssembly } from './cloud-assembly.ts';
import { LOCAL_CREDENTIALS } from './dynamodb.ts';
import { TemplateError } from './errors.ts';
import { startPollers } from './event-source-pollers.ts';
import {
  defaultLogSink,
  type FunctionCounts,
  type FunctionSpec,
  type InvokeResult,
  type LogSink,
} from './lambda-pool.ts';
import { stableId } from './naming.ts';
import { provisionStack } from './provisioners/provision-stack.ts';
import type { World } from './provisioners/provisioner.ts';
import { PROVISIONERS } from './provisioners/registry.ts';
import { startSchedules } from './schedule-runner.ts';
import { type LocalServices, startServices } from './services.ts';
import { type PlannedResource, planStack } from './template.ts';
import { apiKeyIdFor, extraApiKeys, seedTenants } from './tenant-seeding.ts';
import { StackValues } from './values.ts';

export { apiKeyIdFor };

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
  /**
   * Fault injection: a `seed=<n>,<kind>=<rate>,…` spec or parsed settings; default: `LEDGERLINE_CHAOS`, else off.
   * See "Fault injection" in the README.
   */
  readonly chaos?: string | ChaosSettings;
  /**
   * Serial mode, for runs that replay exactly: stream pollers deliver one record a batch, queue pollers one
   * message at a time, schedules run only on `fireSchedules()`, and `idle()` tells when nothing runs.
   */
  readonly serial?: boolean;
  /** The alarm evaluator's clock; default `Date.now` (tests move it past a period, see `tickAlarms`). */
  readonly alarmClock?: () => number;
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
    /** fauxqs serves S3 on the SQS endpoint (path-style). */
    readonly s3: string;
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
  /** Invocations and cold starts so far, by function name (for benches and profiles). */
  functionCounts(): Record<string, FunctionCounts>;
  /** Process ids of child processes (DynamoDB Local's java), for memory accounting. */
  readonly childPids: readonly number[];
  /** The faults injected so far (seed 0 and an empty log when chaos is off). */
  readonly chaos: ChaosReport;
  /**
   * Serial mode only: resolves when nothing runs or is due (no invocation in flight, no execution running,
   * no message in a consumed queue, every stream read to its end); rejects after `timeoutMs`.
   */
  idle(timeoutMs?: number): Promise<void>;
  /** Runs every schedule rule's targets once, now; resolves when they ended (serial mode's clock). */
  fireSchedules(): Promise<void>;
  /** Evaluates every alarm now (by `alarmClock`); resolves when its transitions are published to SNS. */
  tickAlarms(): Promise<void>;
  stop(): Promise<void>;
}

/** Messages in the queues a mapping consumes: visible, in flight and delayed. */
function queuedMessages(world: World, endpoint: string, region: string) {
  const client = new SQSClient({
    endpoint,
    region,
    credentials: LOCAL_CREDENTIALS,
    useQueueUrlAsEndpoint: false,
  });
  const urls = world.mappings
    .filter((m) => m.properties.Enabled !== false)
    .flatMap((m) => world.queues.get(String(m.properties.EventSourceArn))?.url ?? []);
  const names = [
    'ApproximateNumberOfMessages',
    'ApproximateNumberOfMessagesNotVisible',
    'ApproximateNumberOfMessagesDelayed',
  ] as const;
  const count = async () => {
    const counts = await Promise.all(
      urls.map(async (url) => {
        const { Attributes = {} } = await client.send(
          new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: [...names] }),
        );
        return names.reduce((n, name) => n + Number(Attributes[name] ?? 0), 0);
      }),
    );
    return counts.reduce((a, b) => a + b, 0);
  };
  return { client, count };
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

/** Refuses an API whose integrations call functions the stack does not have; prints what is not emulated. */
function checkApi(api: ApiModel | undefined, services: LocalServices, log: (line: string) => void): void {
  for (const route of api?.routes ?? []) {
    const target = route.integration.kind === 'lambda' ? route.integration.functionName : undefined;
    if (target && !services.pool.find(target))
      throw new TemplateError(
        route.logicalId,
        'AWS::ApiGateway::Method',
        `integration target ${target} is not a function of this stack`,
      );
  }
  for (const notice of api?.notices ?? []) log(`note: ${notice}`);
}

/**
 * Starts the stack described by a synthesized template: DynamoDB Local, an SQS emulator, a Step Functions
 * endpoint, every function in its own worker, the API, and the event source pollers.
 */
export async function startLocalRuntime(options: LocalRuntimeOptions): Promise<LocalRuntime> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const region = options.region ?? 'us-east-1';
  const assembly = loadStackAssembly(options.cdkOut, options.stackName);
  const { stackName } = assembly;
  const values = new StackValues(assembly.template, stackName, region);
  const plan = planStack(assembly, (name, at) => values.condition(name, at), PROVISIONERS);
  const persist = options.persistDir ? resolve(options.persistDir) : undefined;
  const chaosSettings = chaosSettingsFrom(options.chaos, process.env);
  const chaos = new Chaos(chaosSettings, { serial: options.serial === true });
  if (chaosSettings) log(`chaos: on, seed=${chaos.seed} ${JSON.stringify(chaosSettings.rates)}`);

  const stoppers: (() => Promise<void>)[] = [];
  const stopAll = async () => {
    if (chaosSettings && stoppers.length > 0) log(chaos.summary());
    for (const stop of stoppers.reverse().splice(0)) {
      try {
        await stop();
      } catch (error) {
        log(`stop: ${String(error)}`);
      }
    }
  };

  // The template's alarms, evaluated from the EMF lines the functions print (set once the stack is provisioned).
  let alarms: LocalAlarms | undefined;
  const functionLog: LogSink = (fn, line) => {
    alarms?.observe(fn, line);
    (options.functionLog ?? defaultLogSink)(fn, line);
  };

  try {
    const services = await startServices(
      {
        ...options,
        functionLog,
        region,
        projectRoot: resolve(options.projectRoot ?? process.cwd()),
        needsDynamo: plan.some((r) => r.role === 'build' && r.type.startsWith('AWS::DynamoDB::')),
        persist,
        secretSources: { env: process.env, ...(options.secrets ? { overrides: options.secrets } : {}) },
        chaos,
      },
      stoppers,
    );
    const { dynamo, sqs, pool, sfnEndpoint, secrets } = services;
    const providers = providerFunctions(plan);
    const world = await provisionStack(plan, PROVISIONERS, {
      stackName,
      region,
      assembly,
      values,
      services,
      providers,
      log,
    });
    const publisher = snsAlarmPublisher(sqs.endpoint, region);
    stoppers.push(async () => publisher.destroy());
    const alarmsNow = options.alarmClock ? { now: options.alarmClock } : {};
    const local = new LocalAlarms(alarmSpecsOf(assembly.template, values), {
      log,
      publish: publisher.publish,
      ...alarmsNow,
    });
    alarms = local;
    const ticks = setInterval(() => local.tick(), 60_000);
    ticks.unref();
    stoppers.push(async () => clearInterval(ticks));

    const extraKeys = extraApiKeys(options, stackName);
    const api = buildApiModel({
      stackName,
      resources: plan,
      values,
      extraKeys,
      generatedKeyValue: (logicalId) => `local-${stableId(`${stackName}/${logicalId}/value`, 30)}`,
    });
    checkApi(api, services, log);
    const registry = api ? new ApiKeyRegistry(api) : undefined;

    let gateway: ApiGateway | undefined;
    if (api) {
      gateway = await startApiGateway({
        model: api,
        pool,
        region,
        ...(registry ? { keys: registry } : {}),
        port: options.port ?? 3000,
        ...(options.host ? { host: options.host } : {}),
      });
      const g = gateway;
      stoppers.push(() => g.stop());
    }

    const pollers = startPollers({ world, services, region, persist, log });
    stoppers.push(async () => {
      await Promise.all(pollers.map((p) => p.stop()));
    });
    const schedules = startSchedules(world.schedules, {
      invoke: (fn, e) => pool.invoke(fn, e),
      region,
      log,
      manual: options.serial === true,
    });
    stoppers.push(() => schedules.stop());
    const queued = queuedMessages(world, sqs.endpoint, region);
    stoppers.push(async () => queued.client.destroy());

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
    const tenantsTable = refs[TENANTS_TABLE_ID];
    const pepper = secrets.value(refs[TENANT_KEY_PEPPER_ID] ?? '');
    if (registry && dynamo && tenantsTable && pepper && typeof outputs.TenantTierPlans === 'string') {
      const seeds = extraKeys;
      const plansOutput = outputs.TenantTierPlans;
      await seedTenants({
        endpoint: dynamo.endpoint,
        region,
        tableName: tenantsTable,
        pepper,
        plansOutput,
        registry,
        seeds,
      });
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
        s3: sqs.endpoint,
        stepFunctions: sfnEndpoint,
        secretsManager: secrets.endpoint,
      },
      secretValue: (id) => secrets.value(refs[id] ?? id),
      outputs,
      refs,
      functions: pool.list(),
      api,
      invoke: (fn, event) => pool.invoke(refs[fn] ?? fn, event),
      functionCounts: () => pool.counts(),
      childPids: dynamo?.pid ? [dynamo.pid] : [],
      chaos,
      async idle(timeoutMs) {
        const { quiescence } = chaos;
        if (!quiescence) throw new Error('idle() needs a runtime started with serial: true');
        const sources = { inFlight: () => pool.inFlight(), running: () => services.sfn.running() };
        await quiescence.idle({ ...sources, queued: queued.count }, timeoutMs);
      },
      fireSchedules: () => schedules.fire(),
      tickAlarms: async () => {
        local.tick();
        await local.flush();
      },
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
