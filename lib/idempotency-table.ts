import { RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, Billing, TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { Grant } from 'aws-cdk-lib/aws-iam';
import type { Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { ENV } from '../lambdas/shared/env-names.ts';
import { encryptWithDataKey, grantDataKey } from './data-key.ts';

/** Environment variable the handlers read (lambdas/shared/config.ts). */
export const IDEMPOTENCY_TABLE_ENV = ENV.idempotencyTable;

/** Properties of an {@link IdempotencyTable}. */
export interface IdempotencyTableProps {
  /**
   * What happens to the table when the stack is deleted. Records live 24 h, so
   * losing them on delete is harmless.
   * @default RemovalPolicy.DESTROY
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The Powertools idempotency store, in the layout `DynamoDBPersistenceLayer` expects
 * by default: partition key `id` (S), TTL attribute `expiration`.
 */
export class IdempotencyTable extends Construct {
  /** The table. */
  public readonly table: TableV2;

  constructor(scope: Construct, id: string, props: IdempotencyTableProps = {}) {
    super(scope, id);
    this.table = new TableV2(this, 'Table', {
      partitionKey: { name: 'id', type: AttributeType.STRING },
      timeToLiveAttribute: 'expiration',
      billing: Billing.onDemand(),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      removalPolicy: props.removalPolicy ?? RemovalPolicy.DESTROY,
    });
    // Records hold stored responses (balances, payment ids): the stack's data key, as the ledger.
    encryptWithDataKey(this.table);
  }

  /**
   * Lets `fn` take, complete and release idempotency records (the four item actions
   * Powertools uses); sets IDEMPOTENCY_TABLE_NAME.
   */
  public grantReadWrite(fn: LambdaFunction): Grant {
    fn.addEnvironment(IDEMPOTENCY_TABLE_ENV, this.table.tableName);
    grantDataKey(this, fn, 'write');
    return Grant.addToPrincipal({
      grantee: fn,
      actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
      resourceArns: [this.table.tableArn],
    });
  }
}
