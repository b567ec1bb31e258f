// Where the projection commands find the tables and the failure queue: the projector function's environment
// in the stack's template, resolved with the target's resource ids (the local runtime's names, or the
// deployed stack's physical ids), so nothing is pasted by hand.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { SlotTables } from '../lambdas/adapters/dynamodb-read-model-pointer.ts';
import { READ_MODELS, type ReadModelName } from '../lambdas/domain/projections/read-model.ts';
import { ENV, READ_MODEL_TABLES_ENV } from '../lambdas/shared/env-names.ts';
import { OperatorError } from './errors.ts';
import type { OperatorTarget, Template } from './target.ts';

export interface ProjectionTarget {
  readonly dynamodb: DynamoDBClient;
  readonly streams: DynamoDBStreamsClient;
  readonly sqs: SQSClient;
  readonly eventsTable: string;
  readonly snapshotsTable: string;
  readonly pointersTable: string;
  readonly tables: Readonly<Record<ReadModelName, SlotTables>>;
  /** The projector's failure queue, when the stack has one. */
  readonly failureQueueUrl: string | undefined;
  destroy(): void;
}

/** The variable holding each read model's blue/green tables. */
const TABLE_VARIABLES: Readonly<Record<ReadModelName, string>> = READ_MODEL_TABLES_ENV;

/** Resolves a template value (a string, `Ref`, or `Fn::Join` of those) with the target's resource ids. */
export function resolveValue(value: unknown, refs: Readonly<Record<string, string>>): string {
  if (typeof value === 'string') return value;
  const v = value as { Ref?: unknown; 'Fn::Join'?: [string, unknown[]] } | undefined;
  if (typeof v?.Ref === 'string') {
    const ref = refs[v.Ref];
    if (ref === undefined) throw new OperatorError(`the target has no resource ${v.Ref}`);
    return ref;
  }
  const join = v?.['Fn::Join'];
  if (join) return join[1].map((part) => resolveValue(part, refs)).join(join[0]);
  throw new OperatorError(`cannot resolve ${JSON.stringify(value)} in the projector's environment`);
}

/** The projector's environment variables (the function with every read model's table variable). */
export function projectorEnvironment(template: Template): Readonly<Record<string, unknown>> {
  for (const resource of Object.values(template.Resources ?? {})) {
    if (resource.Type !== 'AWS::Lambda::Function') continue;
    const env = ((resource.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined)
      ?.Variables ?? {}) as Record<string, unknown>;
    if (Object.values(TABLE_VARIABLES).every((name) => Object.hasOwn(env, name))) return env;
  }
  throw new OperatorError('the stack has no projector function (one with every read model table variable)', {
    fix: 'deploy the current stack, or restart npm start after synthesizing',
  });
}

/** Clients and table names for the projection commands on `target`. */
export async function projectionTarget(target: OperatorTarget): Promise<ProjectionTarget> {
  const [template, refs] = await Promise.all([target.template(), target.refs()]);
  const env = projectorEnvironment(template);
  const resolve = (name: string) => resolveValue(env[name], refs);
  const pair = (name: string): SlotTables => {
    const [blue = '', green = ''] = resolve(name).split(',');
    return { blue, green };
  };
  const tables = Object.fromEntries(READ_MODELS.map((m) => [m, pair(TABLE_VARIABLES[m])])) as Record<
    ReadModelName,
    SlotTables
  >;
  const failureOutput = template.Outputs?.ProjectorFailureQueueUrl?.Value;
  const dynamodb = new DynamoDBClient(target.clientConfig('dynamodb'));
  const streams = new DynamoDBStreamsClient(target.clientConfig('dynamodb'));
  const sqs = new SQSClient({ ...target.clientConfig('sqs'), useQueueUrlAsEndpoint: false });
  return {
    dynamodb,
    streams,
    sqs,
    eventsTable: resolve(ENV.eventsTable),
    snapshotsTable: resolve(ENV.snapshotsTable),
    pointersTable: resolve(ENV.readModelPointersTable),
    tables,
    failureQueueUrl:
      target.outputs.ProjectorFailureQueueUrl ??
      (failureOutput === undefined ? undefined : resolveValue(failureOutput, refs)),
    destroy() {
      dynamodb.destroy();
      streams.destroy();
      sqs.destroy();
    },
  };
}
