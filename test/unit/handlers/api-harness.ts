import { CreateTableCommand, type DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import type { APIGatewayProxyResult } from 'aws-lambda';
import { afterAll, beforeAll, expect } from 'vitest';
import {
  buildIdempotencyStore,
  buildLedgerPorts,
  COMMAND_CONFLICT_RETRY,
} from '../../../lambdas/composition/ledger.ts';
import type { LedgerApiDeps } from '../../../lambdas/composition/ledger-api.ts';
import type { ReadApiDeps } from '../../../lambdas/composition/read-api.ts';
import { buildReadModels } from '../../../lambdas/composition/read-models.ts';
import { type ProjectorDeps, STREAM_RECORDS } from '../../../lambdas/composition/streams.ts';
import * as createTransfer from '../../../lambdas/handlers/api/create-transfer.ts';
import * as deposit_ from '../../../lambdas/handlers/api/deposit.ts';
import * as freezeAccount from '../../../lambdas/handlers/api/freeze-account.ts';
import * as getAccount_ from '../../../lambdas/handlers/api/get-account.ts';
import * as getDailyReport from '../../../lambdas/handlers/api/get-daily-report.ts';
import * as getTransfer from '../../../lambdas/handlers/api/get-transfer.ts';
import * as listAccountEvents from '../../../lambdas/handlers/api/list-account-events.ts';
import * as listAccountTransactions from '../../../lambdas/handlers/api/list-account-transactions.ts';
import * as openAccount_ from '../../../lambdas/handlers/api/open-account.ts';
import * as postTransfer from '../../../lambdas/handlers/api/post-transfer.ts';
import * as unfreezeAccount from '../../../lambdas/handlers/api/unfreeze-account.ts';
import * as voidTransfer from '../../../lambdas/handlers/api/void-transfer.ts';
import * as withdraw from '../../../lambdas/handlers/api/withdraw.ts';
import { main as project } from '../../../lambdas/handlers/projectors/projector.ts';
import { type ApiHandler, apiHandler, logger } from '../../../lambdas/shared/api.ts';
import { readModelsConfig } from '../../../lambdas/shared/config.ts';
import { emfMetrics } from '../../../lambdas/shared/metrics.ts';
import { apiEvent, bodyOf, lambdaContext, type RequestOptions } from '../../support/api-events.ts';
import {
  createEventsTable,
  createSnapshotsTable,
  type DynamoDbLocal,
  localClient,
  startDynamoDbLocal,
} from '../../support/dynamodb-local.ts';
import { createReadModelTables, readModelEnvironment } from '../../support/read-model-tables.ts';
import { StreamReader } from '../../support/stream-reader.ts';

/**
 * The ledger API's routes as deployed (middy stack, real DynamoDB Local, real Powertools idempotency),
 * with the dependencies their composition roots would build passed in, and the projector that keeps
 * the read models.
 */
export interface ApiHarness {
  readonly ddb: DynamoDbLocal;
  /** The handlers' own client, as in a container (tests may intercept its calls). */
  readonly handlersClient: DynamoDBClient;
  call(
    route: string,
    method: string,
    resource: string,
    options?: RequestOptions,
  ): Promise<APIGatewayProxyResult & { json: Record<string, unknown> }>;
  /** What the stream mapping does in the cloud: hands the projector every record written since the last call. */
  catchUp(): Promise<void>;
  openAccount(body?: unknown, options?: RequestOptions): ReturnType<ApiHarness['call']>;
  deposit(id: string, amount: number, options?: RequestOptions): ReturnType<ApiHarness['call']>;
  /** GET /accounts/{id} once the projector has caught up (the read is eventually consistent). */
  getAccount(id: string, options?: RequestOptions): ReturnType<ApiHarness['call']>;
  eventCount(): Promise<number>;
  stop(): Promise<void>;
}

export async function startApiHarness(): Promise<ApiHarness> {
  const routes: Record<string, ApiHandler> = {};
  let ddb = await startDynamoDbLocal();
  ddb = await startDynamoDbLocal();
  await createEventsTable(ddb.client, 'events');
  await createSnapshotsTable(ddb.client, 'snapshots');
  await ddb.client.send(
    new CreateTableCommand({
      TableName: 'idempotency',
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
    }),
  );
  const readModels = await createReadModelTables(ddb.client);
  const stream = new StreamReader(ddb.client, ddb.endpoint, 'events');
  logger.setLogLevel('SILENT');
  const handlersClient = localClient(ddb.endpoint);
  const ports = buildLedgerPorts(handlersClient, {
    eventsTableName: 'events',
    snapshotsTableName: 'snapshots',
  });
  const ledger: LedgerApiDeps = {
    ports,
    retry: COMMAND_CONFLICT_RETRY,
    idempotency: buildIdempotencyStore(handlersClient, { idempotencyTableName: 'idempotency' }),
  };
  // One read-models adapter for the routes and the projector, as one container would hold.
  const models = buildReadModels(handlersClient, readModelsConfig(readModelEnvironment(readModels)));
  const read: ReadApiDeps = { ports, readModels: models };
  const projectorDeps: ProjectorDeps = {
    events: ports.events,
    readModels: models,
    records: STREAM_RECORDS,
    metrics: emfMetrics(() => {}),
  };
  const commands = {
    'open-account': openAccount_,
    deposit: deposit_,
    withdraw,
    'freeze-account': freezeAccount,
    'unfreeze-account': unfreezeAccount,
    'create-transfer': createTransfer,
    'post-transfer': postTransfer,
    'void-transfer': voidTransfer,
  };
  const queries = {
    'get-account': getAccount_,
    'get-transfer': getTransfer,
    'list-account-events': listAccountEvents,
    'list-account-transactions': listAccountTransactions,
    'get-daily-report': getDailyReport,
  };
  for (const [name, route] of Object.entries(commands)) routes[name] = apiHandler(route.main, () => ledger);
  for (const [name, route] of Object.entries(queries)) routes[name] = apiHandler(route.main, () => read);

  async function catchUp(): Promise<void> {
    const Records = await stream.next();
    if (Records.length === 0) return;
    const response = await project({ Records }, projectorDeps, lambdaContext('projector'));
    expect(response.batchItemFailures).toEqual([]);
  }

  async function call(route: string, method: string, resource: string, options: RequestOptions = {}) {
    const handler = routes[route];
    if (!handler) throw new Error(`no route ${route}`);
    const response = await handler(apiEvent(method, resource, options), lambdaContext(route));
    return { ...response, json: bodyOf(response) };
  }

  const openAccount = (body: unknown = { currency: 'USD' }, options: RequestOptions = {}) =>
    call('open-account', 'POST', '/accounts', { body, ...options });
  const deposit = (id: string, amount: number, options: RequestOptions = {}) =>
    call('deposit', 'POST', '/accounts/{id}/deposits', {
      pathParameters: { id },
      body: { amount, currency: 'USD' },
      ...options,
    });
  const getAccount = async (id: string, options: RequestOptions = {}) => {
    await catchUp();
    return call('get-account', 'GET', '/accounts/{id}', { pathParameters: { id }, ...options });
  };

  async function eventCount(): Promise<number> {
    return (await ddb.client.send(new ScanCommand({ TableName: 'events', Select: 'COUNT' }))).Count ?? 0;
  }

  return {
    ddb,
    handlersClient,
    call,
    catchUp,
    openAccount,
    deposit,
    getAccount,
    eventCount,
    async stop() {
      stream.destroy();
      handlersClient.destroy();
      await ddb.stop();
    },
  };
}

/** Starts a harness for the calling test file (beforeAll) and stops it (afterAll); use it inside tests. */
export function useApiHarness(): ApiHarness {
  let started: ApiHarness | undefined;
  beforeAll(async () => {
    started = await startApiHarness();
  }, 120_000);
  afterAll(async () => {
    await started?.stop();
  });
  const api = (): ApiHarness => {
    if (!started) throw new Error('the API harness is used before its beforeAll ran');
    return started;
  };
  return {
    get ddb() {
      return api().ddb;
    },
    get handlersClient() {
      return api().handlersClient;
    },
    call: (...args) => api().call(...args),
    catchUp: () => api().catchUp(),
    openAccount: (...args) => api().openAccount(...args),
    deposit: (...args) => api().deposit(...args),
    getAccount: (...args) => api().getAccount(...args),
    eventCount: () => api().eventCount(),
    stop: () => api().stop(),
  };
}
