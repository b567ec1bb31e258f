import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { CfnGlobalTable, type TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import type { Grant, IGrantable } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import type { Construct } from 'constructs';

const DATA_KEY_ID = 'LedgerDataKey';

/**
 * The stack's one customer-managed KMS key for ledger data at rest: the events and snapshots tables,
 * the idempotency table and every queue (and its dead letters). Rotated yearly by KMS; retained
 * when the stack goes, since retained tables and backups stay readable only with it. One key per
 * stage: $1 a month, and DynamoDB and SQS cache its data keys, so requests rarely reach KMS (see the
 * queues' data key reuse period).
 */
export function dataKey(scope: Construct): Key {
  const stack = Stack.of(scope);
  const existing = stack.node.tryFindChild(DATA_KEY_ID);
  if (existing instanceof Key) return existing;
  const key = new Key(stack, DATA_KEY_ID, {
    description: `Ledgerline ${stack.stackName}: events, snapshots, idempotency records and queues`,
    enableKeyRotation: true,
    removalPolicy: RemovalPolicy.RETAIN,
    pendingWindow: Duration.days(30),
  });
  for (const action of ['kms:GenerateDataKey*', 'kms:ReEncrypt*']) {
    Validations.of(stack).acknowledge({
      id: `AwsSolutions-IAM5[Action::${action}]`,
      reason: `CDK's SQS grants to producers and stream failure destinations name ${action}, on the one data key only.`,
    });
  }
  return key;
}

/** How long SQS reuses a data key before asking KMS again: an hour instead of five minutes, 12 × fewer KMS calls. */
export const QUEUE_DATA_KEY_REUSE = Duration.hours(1);

/**
 * Encrypts a table with the stack's data key. `TableEncryptionV2.customerManagedKey` cannot render in
 * a region-agnostic stack (this one: `cdk synth` without an account), so the key goes on the template
 * directly; the table's own `grantX` methods then know nothing of it: grant the key with the table
 * ({@link grantDataKey}: to read, to write, and to read the table's stream).
 */
export function encryptWithDataKey(table: TableV2): void {
  const cfn = table.node.defaultChild;
  if (!(cfn instanceof CfnGlobalTable)) throw new Error(`${table.node.path} is not a global table`);
  cfn.addPropertyOverride('SSESpecification', { SSEEnabled: true, SSEType: 'KMS' });
  cfn.addPropertyOverride('Replicas.0.SSESpecification', { KMSMasterKeyId: dataKey(table).keyArn });
}

/**
 * Lets `grantee` use the data key for a table or stream it reads (`read`: Decrypt) or writes
 * (`write`: also Encrypt and GenerateDataKey). Named actions, no `*`.
 */
export function grantDataKey(scope: Construct, grantee: IGrantable, access: 'read' | 'write'): Grant {
  const actions = access === 'read' ? ['kms:Decrypt'] : ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey'];
  return dataKey(scope).grant(grantee, ...actions);
}
