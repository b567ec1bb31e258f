import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { SlotTables } from '../../lambdas/adapters/dynamodb-read-model-pointer.ts';
import type { ReadModelName } from '../../lambdas/domain/projections/read-model.ts';
import { READ_MODEL_TABLES_ENV } from '../../lambdas/shared/env-names.ts';
import type { ChaosSettings } from '../../local/chaos.ts';
import type { LocalRuntime, LocalRuntimeOptions } from '../../local/runtime.ts';
import { perModel } from './invariants.ts';

/** The processor's webhook secret the chaos runtime starts with, so the run can sign as the processor. */
export const WEBHOOK_SECRET = 'chaos-processor-webhook-secret-0123456789';
export const CHAOS_API_KEY = 'chaos-tenant-0123456789abcdef';

/** What the invariants read besides HTTP: the tables and queues of the running stack. */
export interface Stack {
  readonly runtime: LocalRuntime;
  readonly apiUrl: string;
  readonly tenantId: string;
  readonly ddb: DynamoDBClient;
  readonly sqs: SQSClient;
  readonly eventsTable: string;
  readonly idempotencyTable: string;
  readonly pointersTable: string;
  readonly readModels: Readonly<Record<ReadModelName, SlotTables>>;
  /** Dead-letter queue URLs by logical id. */
  readonly dlqs: Readonly<Record<string, string>>;
  /** Function names of the SQS workers by role. */
  readonly workers: { readonly processorEvents: string; readonly notifications: string };
  stop(): Promise<void>;
}

const local = { accessKeyId: 'local', secretAccessKey: 'local' };

function refMatching(refs: Readonly<Record<string, string>>, pattern: RegExp, what: string): string {
  const found = Object.entries(refs).find(([id]) => pattern.test(id))?.[1];
  if (!found) throw new Error(`the template has no ${what} (${pattern})`);
  return found;
}

/** Starts the local runtime (synthesizing cdk.out when stale) with `chaos` when given, serial if asked. */
export async function startStack(
  chaos: string | ChaosSettings | undefined,
  log: (line: string) => void,
  serial = false,
): Promise<Stack> {
  const projectRoot = join(import.meta.dirname, '..', '..');
  const cdkOut = join(projectRoot, 'cdk.out');
  const { ensureAssembly } = await import('../../local/synth.ts');
  const { startLocalRuntime, apiKeyIdFor } = await import('../../local/runtime.ts');
  await ensureAssembly(projectRoot, cdkOut, true);
  const options: LocalRuntimeOptions = {
    cdkOut,
    projectRoot,
    port: 0,
    apiKeys: [CHAOS_API_KEY],
    secrets: { ProcessorWebhookSecret: WEBHOOK_SECRET },
    log,
    functionLog: (fn, line) => log(`[${fn}] ${line}`),
    ...(chaos ? { chaos } : {}),
    serial,
  };
  const runtime = await startLocalRuntime(options);
  const projector = runtime.functions.find((f) => f.env.DAILY_TOTALS_TABLES && f.env.ACCOUNT_VIEW_TABLES);
  if (!projector) throw new Error('no projector function in the template');
  const readModels = perModel((model): SlotTables => {
    const [blue = '', green = ''] = (projector.env[READ_MODEL_TABLES_ENV[model]] ?? '').split(',');
    return { blue, green };
  });
  const workerNamed = (pattern: RegExp) => {
    const fn = runtime.functions.find((f) => pattern.test(f.logicalId));
    return fn?.name ?? '';
  };
  const ddb = new DynamoDBClient({
    endpoint: runtime.endpoints.dynamodb,
    region: 'us-east-1',
    credentials: local,
  });
  const sqs = new SQSClient({
    endpoint: runtime.endpoints.sqs,
    region: 'us-east-1',
    credentials: local,
    useQueueUrlAsEndpoint: false,
  });
  const dlqs = Object.fromEntries(
    Object.entries(runtime.refs).filter(([id]) => /(DeadLettersQueue|FailuresQueue)[0-9A-F]{8}$/.test(id)),
  );
  return {
    runtime,
    apiUrl: runtime.apiUrl ?? '',
    tenantId: apiKeyIdFor(CHAOS_API_KEY),
    ddb,
    sqs,
    eventsTable: refMatching(runtime.refs, /^EventStoreEvents[0-9A-F]{8}$/, 'events table'),
    idempotencyTable: refMatching(runtime.refs, /^IdempotencyTable[0-9A-F]{8}$/, 'idempotency table'),
    pointersTable: projector.env.READ_MODEL_POINTERS_TABLE ?? '',
    readModels,
    dlqs,
    workers: {
      processorEvents: workerNamed(/^ProcessorWebhooksWorkerFunction[0-9A-F]{8}$/),
      notifications: workerNamed(/^MerchantNotificationsWorkerFunction[0-9A-F]{8}$/),
    },
    async stop() {
      ddb.destroy();
      sqs.destroy();
      await runtime.stop();
    },
  };
}
