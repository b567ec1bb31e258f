import { DynamoDBClient, GetItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buildLedgerPorts } from '../../../lambdas/composition/ledger.ts';
import { buildReadModels } from '../../../lambdas/composition/read-models.ts';
import { main } from '../../../lambdas/handlers/api/get-account.ts';
import { type ApiHandler, apiHandler, logger } from '../../../lambdas/shared/api.ts';
import { readModelsConfig } from '../../../lambdas/shared/config.ts';
import { apiEvent, bodyOf, lambdaContext } from '../../support/api-events.ts';

const ddb = mockClient(DynamoDBClient);
let getAccount: ApiHandler;

beforeAll(() => {
  logger.setLogLevel('SILENT');
  const client = new DynamoDBClient({ region: 'us-east-1' });
  const deps = {
    ports: buildLedgerPorts(client, { eventsTableName: 'events', snapshotsTableName: 'snapshots' }),
    readModels: buildReadModels(
      client,
      readModelsConfig({
        ACCOUNT_VIEW_TABLES: 'view-blue,view-green',
        READ_MODEL_POINTERS_TABLE: 'pointers',
      }),
    ),
  };
  getAccount = apiHandler(main, () => deps);
});

beforeEach(() => {
  ddb.reset();
});

describe('unexpected errors', () => {
  it('answer 500 problem+json that reveals nothing of the cause', async () => {
    ddb.on(GetItemCommand).resolves({});
    ddb.on(QueryCommand).resolves({ Items: [] });
    ddb
      .on(QueryCommand, { TableName: 'events' })
      .rejects(new Error('secret internal detail: arn:aws:dynamodb:eu-west-1:1234:table/events'));
    // ?asOf= replays from the event store (strongly consistent); the plain read uses the account view.
    const response = await getAccount(
      apiEvent('GET', '/accounts/{id}', { pathParameters: { id: 'acct_1' }, query: { asOf: '5' } }),
      lambdaContext(),
    );
    expect(response.statusCode).toBe(500);
    expect(response.headers?.['content-type']).toBe('application/problem+json');
    expect(bodyOf(response)).toMatchObject({ type: 'urn:ledgerline:problem:internal', status: 500 });
    expect(response.body).not.toContain('secret');
    expect(ddb).toHaveReceivedCommandWith(QueryCommand, { TableName: 'events', ConsistentRead: true });
  });

  it('hide a failing read-model table behind the same 500', async () => {
    ddb.on(GetItemCommand).resolves({});
    ddb.on(GetItemCommand, { TableName: 'view-blue' }).rejects(new Error('secret: table/view-blue'));
    const response = await getAccount(
      apiEvent('GET', '/accounts/{id}', { pathParameters: { id: 'acct_2' } }),
      lambdaContext(),
    );
    expect(response.statusCode).toBe(500);
    expect(response.body).not.toContain('secret');
    expect(ddb).toHaveReceivedCommandWith(GetItemCommand, { TableName: 'pointers' });
  });

  it('refuses a malformed query string with 400 before touching DynamoDB', async () => {
    for (const query of [{ asOf: 'yesterday' }, { asOf: '0' }, { as_of: '1' }] as Record<string, string>[]) {
      const response = await getAccount(
        apiEvent('GET', '/accounts/{id}', { pathParameters: { id: 'acct_1' }, query }),
        lambdaContext(),
      );
      expect(response.statusCode, JSON.stringify(query)).toBe(400);
      expect(bodyOf(response).type).toBe('urn:ledgerline:problem:validation-failed');
    }
    expect(ddb).not.toHaveReceivedAnyCommand();
  });

  it('refuses a malformed path id with 400 before touching DynamoDB', async () => {
    const response = await getAccount(
      apiEvent('GET', '/accounts/{id}', { pathParameters: { id: 'a b' } }),
      lambdaContext(),
    );
    expect(response.statusCode).toBe(400);
    expect(ddb).not.toHaveReceivedAnyCommand();
  });
});
