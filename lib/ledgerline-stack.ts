import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { ApiFunction } from './api-function.ts';
import { EventStore } from './event-store.ts';
import { IdempotencyTable } from './idempotency-table.ts';
import { LedgerApi } from './ledger-api.ts';
import { Projector } from './projector.ts';
import { ReadModels } from './read-models.ts';
import { ROUTES, type RouteSpec } from './routes.ts';

/** Properties of the {@link LedgerlineStack}. */
export interface LedgerlineStackProps extends StackProps {
  /**
   * The API surface, one function per route.
   * @default ROUTES
   */
  readonly routes?: readonly RouteSpec[];
}

/** Ledgerline: the REST API, one Lambda per route, the event store, the read models and their projector. */
export class LedgerlineStack extends Stack {
  /** Events and snapshots tables. */
  public readonly eventStore: EventStore;
  /** Powertools idempotency records of the POST routes. */
  public readonly idempotency: IdempotencyTable;
  /** The read-model tables (two per model) and their pointers. */
  public readonly readModels: ReadModels;
  /** The stream-fed projector with its failure queue and alarms. */
  public readonly projector: Projector;
  /** The REST API with its usage plan and first key. */
  public readonly api: LedgerApi;
  /** The route functions, by construct id (e.g. `PostAccounts`). */
  public readonly functions: ReadonlyMap<string, ApiFunction>;

  constructor(scope: Construct, id: string, props: LedgerlineStackProps = {}) {
    super(scope, id, props);

    this.eventStore = new EventStore(this, 'EventStore');
    this.idempotency = new IdempotencyTable(this, 'Idempotency');
    this.readModels = new ReadModels(this, 'ReadModels');
    this.projector = new Projector(this, 'Projector', {
      eventStore: this.eventStore,
      readModels: this.readModels,
    });
    this.api = new LedgerApi(this, 'LedgerApi');

    const functions = new Map<string, ApiFunction>();
    for (const route of props.routes ?? ROUTES) {
      const id = routeId(route);
      if (functions.has(id)) {
        throw new Error(
          `Route ${route.method} ${route.path} is listed twice (construct id ${id}); remove one from ROUTES.`,
        );
      }
      const fn = new ApiFunction(this, id, { entry: route.entry });
      if (route.access === 'write') {
        this.eventStore.grantAppend(fn.function);
        this.idempotency.grantReadWrite(fn.function);
      } else {
        this.eventStore.grantRead(fn.function);
      }
      if (route.readModels && route.readModels.length > 0) {
        this.readModels.grantRead(fn.function, route.readModels);
      }
      this.api.addRoute(route, fn.function);
      functions.set(id, fn);
    }
    this.functions = functions;

    new CfnOutput(this, 'ApiUrl', {
      value: this.api.url,
      description: 'Invoke URL of the v1 stage; send the key in the x-api-key header',
    });
    new CfnOutput(this, 'ProjectorFailureQueueUrl', {
      value: this.projector.failures.queueUrl,
      description:
        'Failed projector batches (metadata); drain with npm run projections:redrive -- <this URL>',
    });
    new CfnOutput(this, 'ApiKeyId', {
      value: this.api.defaultApiKey.keyId,
      description:
        'First tenant key id; its value: aws apigateway get-api-key --api-key <id> --include-value --query value --output text',
    });
  }
}

/** A stable construct id per route: `POST /accounts/{id}/deposits` → `PostAccountsIdDeposits`. */
export function routeId(route: Pick<RouteSpec, 'method' | 'path'>): string {
  return [route.method.toLowerCase(), ...route.path.split(/[^A-Za-z0-9]+/)]
    .filter((word) => word !== '')
    .map((word) => word.charAt(0).toUpperCase() + word.slice(1))
    .join('');
}
