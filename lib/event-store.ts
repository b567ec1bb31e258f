import { RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, Billing, StreamViewType, TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { AnyPrincipal, Effect, Grant, PolicyDocument, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { type AmountCeilings, parseAmountCeilings } from '../lambdas/domain/ceilings.ts';
import {
  DEFAULT_SHARD_LAYOUT,
  MAX_HOT_SHARDS,
  MAX_SHARDS,
  type ShardLayout,
} from '../lambdas/domain/shards.ts';
import { ENV } from '../lambdas/shared/env-names.ts';
import { encryptWithDataKey, grantDataKey } from './data-key.ts';

/** Environment variables the handlers read (lambdas/shared/config.ts). */
export const EVENT_STORE_ENV = { eventsTable: ENV.eventsTable, snapshotsTable: ENV.snapshotsTable } as const;

/** Context keys of the shard layout per stage (lambdas/domain/shards.ts): `-c ledgerline:systemShards=64`. */
export const SHARD_CONTEXT = {
  systemShards: 'ledgerline:systemShards',
  hotShards: 'ledgerline:hotShards',
} as const;

/**
 * Context keys of the per-transfer amount ceiling (lambdas/domain/ceilings.ts): `-c ledgerline:amountCeiling=…`
 * and `-c 'ledgerline:tenantAmountCeilings={"<tenant id>":…}'`.
 */
export const CEILING_CONTEXT = {
  defaultMinor: 'ledgerline:amountCeiling',
  perTenant: 'ledgerline:tenantAmountCeilings',
} as const;

const READ_ACTIONS = ['dynamodb:GetItem', 'dynamodb:Query'];
/**
 * Append = conditional Put (single stream) or TransactWriteItems of Puts plus
 * ConditionChecks (multi stream); IAM authorizes a transaction by its item actions.
 * Never UpdateItem, DeleteItem or BatchWriteItem: the events table is append-only.
 */
const APPEND_ACTIONS = ['dynamodb:PutItem', 'dynamodb:ConditionCheckItem'];

/** Denied to every principal by the events table's own policy: an event, once written, stays as it is. */
export const EVENT_CHANGING_ACTIONS = [
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:BatchWriteItem',
  'dynamodb:PartiQLUpdate',
  'dynamodb:PartiQLDelete',
] as const;

const appendOnly = () =>
  new PolicyStatement({
    sid: 'EventsAreAppendOnly',
    effect: Effect.DENY,
    principals: [new AnyPrincipal()],
    actions: [...EVENT_CHANGING_ACTIONS],
    // A table's resource policy names the table itself as '*' (its ARN is not known before it exists).
    resources: ['*'],
  });

/** Properties of an {@link EventStore}. */
export interface EventStoreProps {
  /**
   * What happens to both tables when the stack is deleted.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * Shard streams per system account and per hot account, set on every function that writes or reads
   * events. Raise `systemShards` only: readers sum shards 0..N-1.
   * @default the context keys in SHARD_CONTEXT, else DEFAULT_SHARD_LAYOUT
   */
  readonly shards?: ShardLayout;
}

/**
 * The event store: an append-only events table (pk = `<streamType>#<id>`, sort key
 * `version`, stream NEW_IMAGE for the projectors) and a separate snapshots table, so
 * the events table and its stream carry only events.
 */
export class EventStore extends Construct {
  /** One item per event: `pk` (S) + `version` (N). */
  public readonly eventsTable: TableV2;
  /** `pk` (S) + `reducerVersion` (N): the newest snapshot per stream and reducer version. */
  public readonly snapshotsTable: TableV2;
  readonly #snapshotUsers = new Set<LambdaFunction>();
  #sealKey: ISecret | undefined;
  /** The shard layout every function of the stack is told. */
  public readonly shards: ShardLayout;
  /** The per-transfer amount ceilings every function that appends is told (checked at synth). */
  public readonly ceilings: AmountCeilings;

  constructor(scope: Construct, id: string, props: EventStoreProps = {}) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const fromContext = (key: string, fallback: number) => Number(this.node.tryGetContext(key) ?? fallback);
    const text = (key: string): string | undefined => {
      const value: unknown = this.node.tryGetContext(key);
      if (value === undefined) return undefined;
      return typeof value === 'string' ? value : JSON.stringify(value);
    };
    this.ceilings = parseAmountCeilings(
      { defaultMinor: text(CEILING_CONTEXT.defaultMinor), perTenant: text(CEILING_CONTEXT.perTenant) },
      CEILING_CONTEXT,
    );
    this.shards = props.shards ?? {
      systemShards: fromContext(SHARD_CONTEXT.systemShards, DEFAULT_SHARD_LAYOUT.systemShards),
      hotShards: fromContext(SHARD_CONTEXT.hotShards, DEFAULT_SHARD_LAYOUT.hotShards),
    };
    if (
      !Number.isInteger(this.shards.systemShards) ||
      this.shards.systemShards < 1 ||
      this.shards.systemShards > MAX_SHARDS
    ) {
      throw new Error(`${SHARD_CONTEXT.systemShards} must be an integer 1..${MAX_SHARDS}`);
    }
    if (
      !Number.isInteger(this.shards.hotShards) ||
      this.shards.hotShards < 1 ||
      this.shards.hotShards > MAX_HOT_SHARDS
    ) {
      throw new Error(`${SHARD_CONTEXT.hotShards} must be an integer 1..${MAX_HOT_SHARDS}`);
    }

    this.eventsTable = new TableV2(this, 'Events', {
      partitionKey: { name: 'pk', type: AttributeType.STRING },
      sortKey: { name: 'version', type: AttributeType.NUMBER },
      billing: Billing.onDemand(),
      dynamoStream: StreamViewType.NEW_IMAGE,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: true,
      // Append-only for everyone, whatever their IAM grants: no principal may change or delete an event.
      resourcePolicy: new PolicyDocument({ statements: [appendOnly()] }),
      removalPolicy,
    });
    encryptWithDataKey(this.eventsTable);

    // The key schema of lambdas/adapters/dynamodb-snapshot-store.ts: a changed reducer
    // writes under its own reducerVersion and never reads an older reducer's state.
    this.snapshotsTable = new TableV2(this, 'Snapshots', {
      partitionKey: { name: 'pk', type: AttributeType.STRING },
      sortKey: { name: 'reducerVersion', type: AttributeType.NUMBER },
      billing: Billing.onDemand(),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      removalPolicy,
    });
    encryptWithDataKey(this.snapshotsTable);
  }

  /**
   * Lets `fn` load streams and append events (conditional Put, ConditionCheck in a
   * transaction), and read and write snapshots; sets both table-name variables.
   */
  public grantAppend(fn: LambdaFunction): Grant {
    this.setEnvironment(fn);
    this.useSnapshots(fn);
    this.grant(fn, this.snapshotsTable, [...READ_ACTIONS, 'dynamodb:PutItem']);
    return this.grant(fn, this.eventsTable, [...READ_ACTIONS, ...APPEND_ACTIONS]);
  }

  /** Lets `fn` read events and snapshots only; sets both table-name variables. */
  public grantRead(fn: LambdaFunction): Grant {
    this.setEnvironment(fn);
    this.useSnapshots(fn);
    this.grant(fn, this.snapshotsTable, READ_ACTIONS);
    return this.grant(fn, this.eventsTable, READ_ACTIONS);
  }

  /**
   * Lets `fn` scan the events table (the digest reads every stream's head); sets the table-name
   * variables. A Scan reads, it cannot change an event.
   */
  public grantScanHeads(fn: LambdaFunction): Grant {
    this.setEnvironment(fn);
    return this.grant(fn, this.eventsTable, ['dynamodb:Scan']);
  }

  /**
   * Seals snapshots with `key` (the audit key): every function that reads or writes snapshots, before or
   * after this call, gets its ARN and may read it; a snapshot that does not verify is refused on load.
   */
  public sealSnapshotsWith(key: ISecret): void {
    this.#sealKey = key;
    for (const fn of this.#snapshotUsers) this.giveSealKey(fn, key);
  }

  private useSnapshots(fn: LambdaFunction): void {
    if (this.#snapshotUsers.has(fn)) return;
    this.#snapshotUsers.add(fn);
    if (this.#sealKey) this.giveSealKey(fn, this.#sealKey);
  }

  private giveSealKey(fn: LambdaFunction, key: ISecret): void {
    fn.addEnvironment(ENV.auditKeySecret, key.secretArn);
    key.grantRead(fn);
  }

  private setEnvironment(fn: LambdaFunction): void {
    fn.addEnvironment(EVENT_STORE_ENV.eventsTable, this.eventsTable.tableName);
    fn.addEnvironment(EVENT_STORE_ENV.snapshotsTable, this.snapshotsTable.tableName);
    fn.addEnvironment(ENV.systemShards, String(this.shards.systemShards));
    fn.addEnvironment(ENV.hotShards, String(this.shards.hotShards));
    fn.addEnvironment(ENV.amountCeiling, String(this.ceilings.defaultMinor));
    if (Object.keys(this.ceilings.perTenant).length > 0) {
      fn.addEnvironment(ENV.tenantAmountCeilings, JSON.stringify(this.ceilings.perTenant));
    }
  }

  // Explicit statements on the table ARN only: TableV2's own grants also add
  // `<arn>/index/*`, and these tables have no indexes.
  // Both tables are encrypted with the stack's data key: a reader may decrypt, a writer also encrypt.
  private grant(fn: LambdaFunction, table: TableV2, actions: string[]): Grant {
    grantDataKey(this, fn, actions.every((action) => READ_ACTIONS.includes(action)) ? 'read' : 'write');
    return Grant.addToPrincipal({ grantee: fn, actions, resourceArns: [table.tableArn] });
  }
}
