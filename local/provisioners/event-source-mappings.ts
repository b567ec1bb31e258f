import { functionNameFromArnOrName, stableId } from '../naming.ts';
import { fail, type Provisioner, resolvedProperties } from './provisioner.ts';

const ONLY_STREAMS_AND_QUEUES = 'only DynamoDB streams and SQS sources are supported';

/**
 * `AWS::Lambda::EventSourceMapping`: recorded for its poller, which starts once every table, queue and
 * function exists (see `event-source-pollers.ts`).
 */
export const eventSourceMappingProvisioners: Readonly<Record<string, Provisioner>> = {
  'AWS::Lambda::EventSourceMapping': {
    properties: {
      allowed: [
        'FunctionName',
        'EventSourceArn',
        'Enabled',
        'BatchSize',
        'MaximumBatchingWindowInSeconds',
        'StartingPosition',
        'FilterCriteria',
        'FunctionResponseTypes',
        'BisectBatchOnFunctionError',
        'MaximumRetryAttempts',
        'MaximumRecordAgeInSeconds',
        'DestinationConfig',
        'ScalingConfig',
        'ParallelizationFactor',
        'Tags',
        'MetricsConfig',
        'KmsKeyArn',
      ],
      unsupported: {
        TumblingWindowInSeconds: 'tumbling windows are not emulated',
        StartingPositionTimestamp: 'AT_TIMESTAMP is not emulated',
        SelfManagedEventSource: ONLY_STREAMS_AND_QUEUES,
        Topics: ONLY_STREAMS_AND_QUEUES,
        Queues: ONLY_STREAMS_AND_QUEUES,
        SourceAccessConfigurations: ONLY_STREAMS_AND_QUEUES,
        ProvisionedPollerConfig: 'provisioned pollers are not emulated',
      },
    },
    provision(r, ctx) {
      const properties = resolvedProperties(ctx, r);
      const target =
        typeof properties.FunctionName === 'string'
          ? properties.FunctionName
          : fail(r, 'FunctionName is required');
      ctx.world.mappings.push({
        logicalId: r.logicalId,
        type: r.type,
        properties,
        functionName: functionNameFromArnOrName(target),
      });
      return { ref: stableId(`${ctx.stackName}/${r.logicalId}`, 36), attributes: {} };
    },
  },
};
