import { createTable } from '../dynamodb.ts';
import { arns } from '../naming.ts';
import type { PlannedResource } from '../template.ts';
import type { ResourceValues } from '../values.ts';
import {
  fail,
  type ProvisionContext,
  type Provisioner,
  resolvedProperties,
  resourceName,
} from './provisioner.ts';

const TABLE_COMMON = [
  'TableName',
  'KeySchema',
  'AttributeDefinitions',
  'BillingMode',
  'StreamSpecification',
  'GlobalSecondaryIndexes',
  'LocalSecondaryIndexes',
  'TimeToLiveSpecification',
  'SSESpecification',
  'Tags',
  'WarmThroughput',
];
const TABLE_UNSUPPORTED = {
  KinesisStreamSpecification: 'Kinesis streams are not emulated',
  ImportSourceSpecification: 'S3 import is not emulated',
};

/** Creates the table in DynamoDB Local; its stream (if any) becomes a possible event source. */
async function provisionTable(r: PlannedResource, ctx: ProvisionContext): Promise<ResourceValues> {
  const client = ctx.dynamoClient ?? fail(r, 'DynamoDB Local is not running');
  const name = resourceName(ctx, r, 'TableName', 255);
  const properties = resolvedProperties(ctx, r);
  const table = await createTable(
    client,
    { logicalId: r.logicalId, type: r.type, name, properties },
    arns.table(ctx.region, name),
  );
  if (table.streamArn) ctx.world.streams.set(table.streamArn, name);
  return {
    ref: name,
    attributes: { Arn: table.arn, ...(table.streamArn ? { StreamArn: table.streamArn } : {}) },
  };
}

/** `AWS::DynamoDB::Table` and `GlobalTable`, one local table each. */
export const dynamoDbTableProvisioners: Readonly<Record<string, Provisioner>> = {
  'AWS::DynamoDB::Table': {
    properties: {
      allowed: [
        ...TABLE_COMMON,
        'ProvisionedThroughput',
        'PointInTimeRecoverySpecification',
        'DeletionProtectionEnabled',
        'ContributorInsightsSpecification',
        'TableClass',
        'ResourcePolicy',
        'OnDemandThroughput',
      ],
      unsupported: TABLE_UNSUPPORTED,
    },
    provision: provisionTable,
  },
  'AWS::DynamoDB::GlobalTable': {
    properties: {
      allowed: [
        ...TABLE_COMMON,
        'Replicas',
        'WriteProvisionedThroughputSettings',
        'WriteOnDemandThroughputSettings',
      ],
      unsupported: { ...TABLE_UNSUPPORTED, MultiRegionConsistency: 'multi-region tables are not emulated' },
    },
    provision: provisionTable,
  },
};
