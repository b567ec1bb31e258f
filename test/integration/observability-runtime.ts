// A local runtime of a test file's own (the shared target's functions cannot be invoked or its clocks moved
// from a test), started from cdk.out with one tenant key, and the clients those files reach it with.
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { inject } from 'vitest';
import { LOCAL_CREDENTIALS } from '../../local/dynamodb.ts';
import { type LocalRuntime, type LocalRuntimeOptions, startLocalRuntime } from '../../local/runtime.ts';
import { ensureAssembly } from '../../local/synth.ts';

export const REGION = 'us-east-1';
const projectRoot = join(import.meta.dirname, '..', '..');
export const CDK_OUT = join(projectRoot, 'cdk.out');

/** Why a file that needs its own local runtime is skipped on another target, or null on the local one. */
export const ownRuntimeSkipReason = (why: string): string | null =>
  inject('targetName') === 'local' ? null : why;

/** Starts the runtime (synthesizing cdk.out when stale) with `key` as its one tenant, quiet unless told. */
export async function startOwnRuntime(
  key: string,
  options: Partial<LocalRuntimeOptions> = {},
): Promise<LocalRuntime> {
  await ensureAssembly(projectRoot, CDK_OUT, true);
  return startLocalRuntime({
    cdkOut: CDK_OUT,
    projectRoot,
    port: 0,
    region: REGION,
    apiKeys: [key],
    log: () => {},
    functionLog: () => {},
    ...options,
  });
}

/** A DynamoDB client of the runtime's DynamoDB Local. */
export const dynamoDbOf = (runtime: LocalRuntime | undefined): DynamoDBClient =>
  new DynamoDBClient({
    endpoint: runtime?.endpoints.dynamodb,
    region: REGION,
    credentials: LOCAL_CREDENTIALS,
  });

/** The `Ref` (a name, URL or ARN) of the runtime's resource whose logical id matches. */
export const refOf = (runtime: LocalRuntime | undefined, logicalId: RegExp): string =>
  Object.entries(runtime?.refs ?? {}).find(([id]) => logicalId.test(id))?.[1] ?? '';

/** The events table's logical id: `EventStoreEvents` and CDK's hash. */
export const EVENTS_TABLE = /^EventStoreEvents[0-9A-F]{8}$/;
