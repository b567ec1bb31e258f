import {
  Annotations,
  Aspects,
  CfnOutput,
  CfnParameter,
  Duration,
  Stack,
  type StackProps,
  Validations,
} from 'aws-cdk-lib';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { Construct } from 'constructs';
import { ApiFunction } from './api-function.ts';
import { Audit } from './audit.ts';
import { grantDataKey } from './data-key.ts';
import { EventStore } from './event-store.ts';
import { ExpirySweep } from './expiry-sweep.ts';
import { Exports } from './exports.ts';
import { IdempotencyTable } from './idempotency-table.ts';
import { BulkImports } from './imports.ts';
import { LedgerApi } from './ledger-api.ts';
import { MerchantNotifications } from './merchant-notifications.ts';
import { ALARM_EMAIL_CONTEXT, Observability, sagaLogGroup } from './observability.ts';
import { PaymentSaga } from './payment-saga.ts';
import { ExternalProcessor, type ProcessorConnection } from './processor-connection.ts';
import { ProcessorWebhooks } from './processor-webhooks.ts';
import { Projector } from './projector.ts';
import { ReadModels } from './read-models.ts';
import { Relay } from './relay.ts';
import { isPublic, ROUTES, type RouteGrant, type RouteSpec } from './routes.ts';
import { SandboxProcessor } from './sandbox-processor.ts';
import { stageProfile } from './stage.ts';
import { StagePolicies } from './stage-policies.ts';
import { Tenants } from './tenants.ts';

export { PRODUCTION_STAGE } from './stage.ts';

/** Properties of the {@link LedgerlineStack}. */
export interface LedgerlineStackProps extends StackProps {
  /**
   * The API surface, one function per route.
   * @default ROUTES
   */
  readonly routes?: readonly RouteSpec[];
  /**
   * The deployment stage (`-c ledgerline:stage=…`, see bin/ledgerline.ts). `prod` is production: the
   * saga and refunds call the real processor at `processorUrl`, and merchants may register only
   * public https webhook URLs. Any other stage deploys the sandbox processor (a Function URL with
   * auth NONE).
   * @default 'dev'
   */
  readonly stage?: string;
  /**
   * Accept `http://` merchant webhook URLs on loopback, for test servers (see MerchantNotifications).
   * Never in production, whatever this says.
   * @default false
   */
  readonly allowLoopbackWebhookUrls?: boolean;
  /** The real card processor's https base URL; required in production, unused elsewhere. */
  readonly processorUrl?: string;
  /**
   * False when the stage is cdk.json's default rather than `-c ledgerline:stage=…`: the template
   * then has a parameter no value satisfies, so `cdk deploy` stops ("Parameters are missing a
   * value: StageNotGiven") before CloudFormation changes anything; synth and the local runtime work.
   * @default true
   */
  readonly deployable?: boolean;
  /**
   * How long a warm authorizer reuses a key's grant (a revoked key works at most this long).
   * @default 60 s in production, 5 s elsewhere (tests see revocation quickly)
   */
  readonly authorizerCacheTtl?: Duration;
}

/** The parameter that makes a template synthesized without an explicit stage undeployable. */
export const STAGE_NOT_GIVEN = 'StageNotGiven';

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
  /** Expiry on time: the scheduled sweep of pending transfers past their timeout. */
  public readonly expirySweep: ExpirySweep;
  /** The tamper-evident history: audit key, write-once digests and their scheduled writer. */
  public readonly audit: Audit;
  /** Tenants, their keys, and the authorizer of every tenant route. */
  public readonly tenants: Tenants;
  /** The REST API with one usage plan per tier. */
  public readonly api: LedgerApi;
  /** Merchant webhook endpoints, the notifications queue and its delivery worker. */
  public readonly notifications: MerchantNotifications;
  /** The processor's signed webhooks: inbox, inbound queue and worker. */
  public readonly processorWebhooks: ProcessorWebhooks;
  /** The events stream's second reader: outbox events to the notifications queue. */
  public readonly relay: Relay;
  /** The sandbox card processor (Function URL) of a non-production stage; undefined in production. */
  public readonly sandboxProcessor: SandboxProcessor | undefined;
  /** The processor the saga captures and refunds with: the sandbox, or the real one in production. */
  public readonly processor: ProcessorConnection;
  /** Payment settlement: the Step Functions saga and its task functions. */
  public readonly paymentSaga: PaymentSaga;
  /** Bulk imports: jobs table, files bucket, validator, chunk queue and worker. */
  public readonly imports: BulkImports;
  /** Statements and exports: streaming routes, the export jobs, files, queue and worker. */
  public readonly exports: Exports;
  /** The route functions, by construct id (e.g. `PostAccounts`). */
  public readonly functions: ReadonlyMap<string, ApiFunction>;
  /** The stage's alarm topic (every alarm's action), its extra alarms and its dashboard. */
  public readonly observability: Observability;

  constructor(scope: Construct, id: string, props: LedgerlineStackProps = {}) {
    super(scope, id, props);
    const profile = stageProfile(props.stage ?? 'dev');
    const production = profile.production;
    Aspects.of(this).add(new StagePolicies(profile));
    const routes = props.routes ?? ROUTES;
    if (props.deployable === false) {
      const message =
        'Deploy with npm run deploy -- --stage <name> (or cdk deploy -c ledgerline:stage=<name>)';
      new CfnParameter(this, STAGE_NOT_GIVEN, {
        type: 'String',
        description: `This template was synthesized with cdk.json's development default stage. ${message}.`,
        // No value can satisfy both: the parameter cannot be given, only the stage.
        allowedPattern: '^$',
        minLength: 1,
        constraintDescription: message,
      });
      Validations.of(this).acknowledge({
        id: 'CloudFormation-Validate::W2001',
        reason: 'Never referenced on purpose: it exists only to stop a deploy without an explicit stage.',
      });
      Annotations.of(this).addWarningV2(
        'ledgerline:stage-not-given',
        `No -c ledgerline:stage: synthesized cdk.json's default (${props.stage ?? 'dev'}), which cannot be deployed. ${message}.`,
      );
    }

    this.eventStore = new EventStore(this, 'EventStore');
    this.idempotency = new IdempotencyTable(this, 'Idempotency');
    this.readModels = new ReadModels(this, 'ReadModels');
    this.projector = new Projector(this, 'Projector', {
      eventStore: this.eventStore,
      readModels: this.readModels,
    });
    this.audit = new Audit(this, 'Audit', {
      eventStore: this.eventStore,
      // Seven years of locked digests in production; a day elsewhere (a locked bucket outlives its stack).
      retention: Duration.days(profile.retainData ? 7 * 365 : 1),
    });
    this.eventStore.sealSnapshotsWith(this.audit.key);
    this.expirySweep = new ExpirySweep(this, 'ExpirySweep', {
      eventStore: this.eventStore,
      readModels: this.readModels,
    });
    this.tenants = new Tenants(this, 'Tenants', {
      production,
      cacheTtl: props.authorizerCacheTtl ?? Duration.seconds(production ? 60 : 5),
    });
    this.api = new LedgerApi(this, 'LedgerApi', {
      authorizer: this.tenants.authorizer,
      publicRoutes: routes.filter(isPublic),
    });
    this.notifications = new MerchantNotifications(this, 'MerchantNotifications', {
      idempotency: this.idempotency,
      allowLoopbackHttp: !production && (props.allowLoopbackWebhookUrls ?? false),
    });
    this.processorWebhooks = new ProcessorWebhooks(this, 'ProcessorWebhooks', {
      eventStore: this.eventStore,
      idempotency: this.idempotency,
      notifications: this.notifications,
    });
    this.relay = new Relay(this, 'Relay', { eventStore: this.eventStore, notifications: this.notifications });
    // The events stream is encrypted with the data key too (the projector reads it as it reads the table).
    grantDataKey(this, this.relay.function.function, 'read');
    if (production) {
      if (!props.processorUrl) {
        throw new Error(
          'The production stage calls the real card processor: pass its https base URL with -c ledgerline:processorUrl=https://…',
        );
      }
      this.sandboxProcessor = undefined;
      this.processor = new ExternalProcessor(this, 'Processor', { baseUrl: props.processorUrl });
    } else {
      this.sandboxProcessor = new SandboxProcessor(this, 'SandboxProcessor');
      this.processor = this.sandboxProcessor;
    }
    this.paymentSaga = new PaymentSaga(this, 'PaymentSaga', {
      eventStore: this.eventStore,
      processor: this.processor,
    });

    this.imports = new BulkImports(this, 'Imports', { eventStore: this.eventStore });

    // Each grant a route may declare, as its construct's grantX (a Record: none can be left out).
    const grants: Readonly<Record<RouteGrant, (fn: NodejsFunction) => void>> = {
      'append-events': (fn) => this.eventStore.grantAppend(fn),
      'read-events': (fn) => this.eventStore.grantRead(fn),
      idempotency: (fn) => this.idempotency.grantReadWrite(fn),
      'receive-processor-webhooks': (fn) => this.processorWebhooks.grantReceive(fn),
      'register-webhook-endpoints': (fn) => this.notifications.grantRegisterEndpoints(fn),
      'read-webhook-endpoints': (fn) => this.notifications.grantReadEndpoints(fn),
      'read-deliveries': (fn) => this.notifications.grantReadDeliveries(fn),
      'start-payments': (fn) => this.paymentSaga.grantStart(fn),
      'call-processor': (fn) => this.processor.grantCall(fn),
      'create-imports': (fn) => this.imports.grantCreate(fn),
      'read-imports': (fn) => this.imports.grantRead(fn),
    };
    const functions = new Map<string, ApiFunction>();
    for (const route of routes) {
      const id = routeId(route);
      if (functions.has(id)) {
        throw new Error(
          `Route ${route.method} ${route.path} is listed twice (construct id ${id}); remove one from ROUTES.`,
        );
      }
      const fn = new ApiFunction(this, id, { entry: route.entry });
      for (const grant of route.grants) grants[grant](fn.function);
      if (route.readModels && route.readModels.length > 0) {
        this.readModels.grantRead(fn.function, route.readModels);
      }
      this.api.addRoute(route, fn.function);
      functions.set(id, fn);
    }
    this.functions = functions;
    this.exports = new Exports(this, 'Exports', {
      readModels: this.readModels,
      routes,
      functionOf: (route) => functions.get(routeId(route))?.function,
    });
    this.observability = new Observability(this, 'Observability', {
      stage: props.stage ?? 'dev',
      api: this.api.api,
      stateMachine: this.paymentSaga.stateMachine,
      sagaLogs: sagaLogGroup(this.paymentSaga),
      throttledTables: [this.eventStore.eventsTable],
      apiThresholds: profile.apiThresholds,
    });

    new CfnOutput(this, 'ApiUrl', {
      value: this.api.url,
      description: 'Invoke URL of the v1 stage; send a tenant key as Authorization: Bearer or x-api-key',
    });
    new CfnOutput(this, 'ProjectorFailureQueueUrl', {
      value: this.projector.failures.queueUrl,
      description:
        'Failed projector batches (metadata); drain with npm run projections:redrive -- <this URL>',
    });
    new CfnOutput(this, 'ProcessorEventsDlqUrl', {
      value: this.processorWebhooks.queue.deadLetters.queue.queueUrl,
      description: 'Processor events that failed 5 times; npm run dlq -- show|redrive ProcessorEvents',
    });
    new CfnOutput(this, 'MerchantNotificationsDlqUrl', {
      value: this.notifications.queue.deadLetters.queue.queueUrl,
      description:
        'Notifications that could not be delivered; npm run dlq -- show|redrive MerchantNotifications',
    });
    new CfnOutput(this, 'RelayFailureQueueUrl', {
      value: this.relay.failures.queue.queueUrl,
      description: 'Relay batches that failed for good (stream metadata only)',
    });
    new CfnOutput(this, 'ProcessorWebhookSecretArn', {
      value: this.processorWebhooks.signingSecret.secretArn,
      description: 'Put the processor’s webhook signing secret here (aws secretsmanager put-secret-value)',
    });
    new CfnOutput(this, 'PaymentStateMachineArn', {
      value: this.paymentSaga.stateMachine.stateMachineArn,
      description:
        'The payment settlement saga; npm run saga:resume -- <tenantId> <paymentId> compensate|notify',
    });
    new CfnOutput(this, 'DashboardUrl', {
      value: `https://console.aws.amazon.com/cloudwatch/home?region=${this.region}#dashboards:name=${this.observability.dashboard.dashboardName}`,
      description: 'The stage’s CloudWatch dashboard',
    });
    new CfnOutput(this, 'AlarmTopicArn', {
      value: this.observability.topic.topicArn,
      description: `Every alarm notifies this topic; subscribe with -c ${ALARM_EMAIL_CONTEXT}=<address> or aws sns subscribe`,
    });
    new CfnOutput(this, 'TenantsTableName', {
      value: this.tenants.table.tableName,
      description: 'Tenants and their key hashes; write it with npm run tenants -- --stage <name> …',
    });
    new CfnOutput(this, 'TenantKeyPepperArn', {
      value: this.tenants.pepper.secretArn,
      description: 'The pepper of the key hashes (generated at deploy; the tenants CLI reads it)',
    });
    new CfnOutput(this, 'TenantTierPlans', {
      value: this.toJsonString(
        Object.fromEntries(
          Object.entries(this.api.tierPlans).map(([tier, plan]) => [tier, plan.usagePlanId]),
        ),
      ),
      description: 'Usage plan id of each tier (JSON); the tenants CLI links tenant keys to them',
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
