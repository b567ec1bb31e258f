import { RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, Billing, ProjectionType, TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { Grant } from 'aws-cdk-lib/aws-iam';
import type { Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { HISTORY_INDEXES } from '../lambdas/domain/projections/account-history.ts';
import { PAYMENT_VIEW_INDEXES } from '../lambdas/domain/projections/payment-view.ts';
import { READ_MODELS, type ReadModelName } from '../lambdas/domain/projections/read-model.ts';
import { TRANSFER_VIEW_INDEXES } from '../lambdas/domain/projections/transfer-view.ts';
import { READ_MODEL_POINTERS_ENV, READ_MODEL_TABLES_ENV } from '../lambdas/shared/env-names.ts';

/** Sort keys per model: history rows by `<postedAt>#<transferId>`, totals by day; the views have none. */
const SORTED: Readonly<Record<ReadModelName, boolean>> = {
  'account-view': false,
  'account-history': true,
  'transfer-view': false,
  'daily-totals': true,
  'payment-view': false,
};

interface IndexSpec {
  readonly name: string;
  readonly partitionKey: string;
  readonly sortKey: string;
  /** Projects the keys and these attributes only (INCLUDE). @default every attribute (ALL) */
  readonly include?: readonly string[];
}

/**
 * GSIs per model: the payment view is listed per tenant and per status, newest first; the transfer view's
 * sparse `by-expiry` index holds only pending transfers with an expiry, for the expiry sweep; the history's
 * `by-tenant-time` holds every posting of a tenant in time order (sharded), for ledger exports.
 */
const INDEXES: Partial<Record<ReadModelName, readonly IndexSpec[]>> = {
  'payment-view': [PAYMENT_VIEW_INDEXES.byTenant, PAYMENT_VIEW_INDEXES.byStatus],
  'transfer-view': [TRANSFER_VIEW_INDEXES.byExpiry],
  'account-history': [HISTORY_INDEXES.byTenantTime],
};

/** Reads: GetItem (views, guards, pointers) and Query (history pages, totals ranges). */
const READ_ACTIONS = ['dynamodb:GetItem', 'dynamodb:Query'];
/**
 * Guarded commits: conditional Put, or TransactWriteItems of Put + Update (ADD); history rows in
 * BatchWriteItem (puts only: the projector never deletes). IAM cannot tell a BatchWriteItem put
 * from a delete, so the adapter is the guarantee there.
 */
const WRITE_ACTIONS = [
  'dynamodb:BatchWriteItem',
  'dynamodb:GetItem',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
];

/** The two tables of one read model: the pointer says which serves, the other is the rebuild target. */
export interface ReadModelTables {
  readonly blue: TableV2;
  readonly green: TableV2;
}

/** Properties of {@link ReadModels}. */
export interface ReadModelsProps {
  /**
   * What happens to the read-model tables on stack delete. They are rebuildable from the event
   * store at any time (`npm run projections:rebuild`), so nothing is lost by destroying them.
   * @default RemovalPolicy.DESTROY
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The read models fed by the projector: two tables per model (blue and green, so a rebuild fills
 * one while the other serves, and a pointer item switches them without a deploy) and the pointers
 * table. Keys carry the tenant; on demand; point-in-time recovery on.
 */
export class ReadModels extends Construct {
  /** Both tables of each read model. */
  public readonly tables: Readonly<Record<ReadModelName, ReadModelTables>>;
  /** One item per model, `{ pk: <model>, active: 'blue' | 'green' }`; blue when absent. */
  public readonly pointers: TableV2;

  constructor(scope: Construct, id: string, props: ReadModelsProps = {}) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.DESTROY;
    const table = (name: string, sorted: boolean, indexes: readonly IndexSpec[] = []) =>
      new TableV2(this, name, {
        partitionKey: { name: 'pk', type: AttributeType.STRING },
        ...(sorted ? { sortKey: { name: 'sk', type: AttributeType.STRING } } : {}),
        ...(indexes.length > 0
          ? {
              globalSecondaryIndexes: indexes.map((index) => ({
                indexName: index.name,
                partitionKey: { name: index.partitionKey, type: AttributeType.STRING },
                sortKey: { name: index.sortKey, type: AttributeType.STRING },
                ...(index.include
                  ? { projectionType: ProjectionType.INCLUDE, nonKeyAttributes: [...index.include] }
                  : {}),
              })),
            }
          : {}),
        billing: Billing.onDemand(),
        pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
        removalPolicy,
      });
    const tables: Partial<Record<ReadModelName, ReadModelTables>> = {};
    for (const model of READ_MODELS) {
      const base = model
        .split('-')
        .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
        .join('');
      tables[model] = {
        blue: table(`${base}Blue`, SORTED[model], INDEXES[model] ?? []),
        green: table(`${base}Green`, SORTED[model], INDEXES[model] ?? []),
      };
    }
    this.tables = tables as Record<ReadModelName, ReadModelTables>;
    this.pointers = table('Pointers', false);
  }

  /** Lets `fn` read `models` (default: all) and the pointers; sets their table variables. */
  public grantRead(fn: LambdaFunction, models: readonly ReadModelName[] = READ_MODELS): Grant {
    this.setEnvironment(fn, models);
    Grant.addToPrincipal({
      grantee: fn,
      actions: ['dynamodb:GetItem'],
      resourceArns: [this.pointers.tableArn],
    });
    return Grant.addToPrincipal({ grantee: fn, actions: READ_ACTIONS, resourceArns: this.arnsOf(models) });
  }

  /** Lets `fn` apply events to every read model (guarded writes) and read the pointers; sets the variables. */
  public grantWrite(fn: LambdaFunction): Grant {
    this.setEnvironment(fn, READ_MODELS);
    Grant.addToPrincipal({
      grantee: fn,
      actions: ['dynamodb:GetItem'],
      resourceArns: [this.pointers.tableArn],
    });
    return Grant.addToPrincipal({
      grantee: fn,
      actions: WRITE_ACTIONS,
      resourceArns: this.arnsOf(READ_MODELS),
    });
  }

  /**
   * Lets `fn` Query one GSI of `model` (both tables) and read the pointers, nothing else; sets the model's
   * table variables.
   */
  public grantQueryIndex(fn: LambdaFunction, model: ReadModelName, indexName: string): Grant {
    if (!(INDEXES[model] ?? []).some((index) => index.name === indexName)) {
      throw new Error(`The ${model} read model has no index ${indexName}`);
    }
    this.setEnvironment(fn, [model]);
    Grant.addToPrincipal({
      grantee: fn,
      actions: ['dynamodb:GetItem'],
      resourceArns: [this.pointers.tableArn],
    });
    const { blue, green } = this.tables[model];
    return Grant.addToPrincipal({
      grantee: fn,
      actions: ['dynamodb:Query'],
      resourceArns: [blue.tableArn, green.tableArn].map((arn) => `${arn}/index/${indexName}`),
    });
  }

  private arnsOf(models: readonly ReadModelName[]): string[] {
    return models.flatMap((m) =>
      [this.tables[m].blue.tableArn, this.tables[m].green.tableArn].flatMap((arn) => [
        arn,
        ...(INDEXES[m] ?? []).map((index) => `${arn}/index/${index.name}`),
      ]),
    );
  }

  private setEnvironment(fn: LambdaFunction, models: readonly ReadModelName[]): void {
    fn.addEnvironment(READ_MODEL_POINTERS_ENV, this.pointers.tableName);
    for (const model of models) {
      const { blue, green } = this.tables[model];
      fn.addEnvironment(READ_MODEL_TABLES_ENV[model], `${blue.tableName},${green.tableName}`);
    }
  }
}
