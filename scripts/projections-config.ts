/**
 * Where the projection CLIs find the tables and the failure queue: `local` reads the synthesized
 * template (cdk.out) and names resources as the local runtime does, with the endpoints `npm start`
 * prints; otherwise the same environment variables the projector function gets, with the AWS SDK's
 * own credentials and region.
 */
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { SlotTables } from '../lambdas/adapters/dynamodb-read-model-pointer.ts';
import type { ReadModelName } from '../lambdas/domain/projections/read-model.ts';
import { ledgerConfig, readModelsConfig } from '../lambdas/shared/config.ts';
import { loadStackAssembly } from '../local/cloud-assembly.ts';
import { LOCAL_CREDENTIALS } from '../local/dynamodb.ts';
import { LOCAL_ACCOUNT_ID, physicalName } from '../local/naming.ts';

export interface ProjectionTarget {
  readonly dynamodb: DynamoDBClient;
  readonly streams: DynamoDBStreamsClient;
  readonly sqs: SQSClient;
  readonly eventsTable: string;
  readonly snapshotsTable: string;
  readonly pointersTable: string;
  readonly tables: Readonly<Record<ReadModelName, SlotTables>>;
  /** The projector's failure queue, when known. */
  readonly failureQueueUrl: string | undefined;
  destroy(): void;
}

type Json = Record<string, unknown>;

/** Resolves the Ref / Fn::Join values a function's environment holds into local names. */
function localValue(value: unknown, stackName: string, template: Json): string {
  if (typeof value === 'string') return value;
  const v = value as Json;
  if (typeof v.Ref === 'string') {
    const type = ((template.Resources as Json)[v.Ref] as { Type: string } | undefined)?.Type;
    return physicalName(stackName, v.Ref, type === 'AWS::SQS::Queue' ? 80 : 255);
  }
  const join = v['Fn::Join'] as [string, unknown[]] | undefined;
  if (join) return join[1].map((part) => localValue(part, stackName, template)).join(join[0]);
  throw new Error(`Cannot resolve ${JSON.stringify(value)} locally`);
}

function need(name: string, hint: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`Set ${name} (${hint})`);
  return value;
}

/** The local runtime's resources, from cdk.out and the endpoints in the environment. */
export function localTarget(projectRoot = process.cwd()): ProjectionTarget {
  const dynamodbEndpoint = need('AWS_ENDPOINT_URL_DYNAMODB', 'the DynamoDB Local URL that npm start prints');
  const sqsEndpoint = process.env.AWS_ENDPOINT_URL_SQS;
  const assembly = loadStackAssembly(join(projectRoot, 'cdk.out'));
  const template = assembly.template as unknown as Json;
  const resources = template.Resources as Record<string, { Type: string; Properties?: Json }>;
  const projector = Object.values(resources).find(
    (r) =>
      r.Type === 'AWS::Lambda::Function' &&
      Object.hasOwn(
        ((r.Properties?.Environment as Json | undefined)?.Variables ?? {}) as Json,
        'DAILY_TOTALS_TABLES',
      ) &&
      Object.hasOwn(
        ((r.Properties?.Environment as Json | undefined)?.Variables ?? {}) as Json,
        'ACCOUNT_VIEW_TABLES',
      ),
  );
  if (!projector) throw new Error('cdk.out has no projector function; run npm run synth');
  const env = ((projector.Properties?.Environment as { Variables?: Json } | undefined)?.Variables ??
    {}) as Json;
  const resolve = (name: string) => localValue(env[name], assembly.stackName, template);
  const pair = (name: string): SlotTables => {
    const [blue = '', green = ''] = resolve(name).split(',');
    return { blue, green };
  };
  const queue = (template.Outputs as Json | undefined)?.ProjectorFailureQueueUrl as
    | { Value: unknown }
    | undefined;
  const region = process.env.AWS_REGION ?? 'us-east-1';
  const clientConfig = { region, credentials: LOCAL_CREDENTIALS };
  return {
    dynamodb: new DynamoDBClient({ ...clientConfig, endpoint: dynamodbEndpoint }),
    streams: new DynamoDBStreamsClient({ ...clientConfig, endpoint: dynamodbEndpoint }),
    sqs: new SQSClient({
      ...clientConfig,
      ...(sqsEndpoint ? { endpoint: sqsEndpoint } : {}),
      useQueueUrlAsEndpoint: false,
    }),
    eventsTable: resolve('EVENTS_TABLE_NAME'),
    snapshotsTable: resolve('SNAPSHOTS_TABLE_NAME'),
    pointersTable: resolve('READ_MODEL_POINTERS_TABLE'),
    tables: {
      'account-view': pair('ACCOUNT_VIEW_TABLES'),
      'account-history': pair('ACCOUNT_HISTORY_TABLES'),
      'transfer-view': pair('TRANSFER_VIEW_TABLES'),
      'daily-totals': pair('DAILY_TOTALS_TABLES'),
      'payment-view': pair('PAYMENT_VIEW_TABLES'),
    },
    failureQueueUrl:
      queue && sqsEndpoint
        ? `${sqsEndpoint.replace(/\/$/, '')}/${LOCAL_ACCOUNT_ID}/${localValue(queue.Value, assembly.stackName, template)}`
        : undefined,
    destroy() {
      this.dynamodb.destroy();
      this.streams.destroy();
      this.sqs.destroy();
    },
  };
}

/** A deployed stack's resources, from the projector function's variables set in this shell. */
export function cloudTarget(failureQueueUrl?: string): ProjectionTarget {
  const ledger = ledgerConfig();
  const readModels = readModelsConfig();
  const tables = readModels.tables as Record<ReadModelName, SlotTables>;
  return {
    dynamodb: new DynamoDBClient({}),
    streams: new DynamoDBStreamsClient({}),
    sqs: new SQSClient({}),
    eventsTable: ledger.eventsTableName,
    snapshotsTable: ledger.snapshotsTableName,
    pointersTable: readModels.pointersTable,
    tables,
    failureQueueUrl,
    destroy() {
      this.dynamodb.destroy();
      this.streams.destroy();
      this.sqs.destroy();
    },
  };
}
