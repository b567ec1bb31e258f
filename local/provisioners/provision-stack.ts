import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { LOCAL_CREDENTIALS } from '../dynamodb.ts';
import type { PlannedResource } from '../template.ts';
import type { ProvisionContext, Provisioner, World } from './provisioner.ts';
import { fail } from './provisioner.ts';

/**
 * Builds every planned resource in dependency order with the provisioner of its type, making its
 * `Ref`/`Fn::GetAtt` values resolvable for the resources after it. Returns what the pollers need.
 */
export async function provisionStack(
  plan: readonly PlannedResource[],
  provisioners: Readonly<Record<string, Provisioner>>,
  ctx: Omit<ProvisionContext, 'dynamoClient' | 'world'>,
): Promise<World> {
  const world: World = { mappings: [], streams: new Map(), queues: new Map(), schedules: [] };
  const { dynamo } = ctx.services;
  const dynamoClient = dynamo
    ? new DynamoDBClient({ endpoint: dynamo.endpoint, region: ctx.region, credentials: LOCAL_CREDENTIALS })
    : undefined;
  try {
    for (const r of plan) {
      const provisioner =
        (Object.hasOwn(provisioners, r.type) ? provisioners[r.type] : undefined) ??
        fail(r, 'resource type is not supported by the local runtime');
      const values = await provisioner.provision(r, { ...ctx, dynamoClient, world });
      ctx.values.register(r.logicalId, r.type, values);
    }
  } finally {
    dynamoClient?.destroy();
  }
  return world;
}
