import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ApiHandler } from '../../../lambdas/shared/api.ts';
import { apiEvent, bodyOf, lambdaContext } from '../../support/api-events.ts';

// Every refusal happens before the ledger is read: no DynamoDB call may be made.
const ddb = mockClient(DynamoDBClient);
const routes: Record<string, ApiHandler> = {};

beforeAll(async () => {
  Object.assign(process.env, {
    EVENTS_TABLE_NAME: 'events',
    SNAPSHOTS_TABLE_NAME: 'snapshots',
    IDEMPOTENCY_TABLE_NAME: 'idempotency',
    AWS_REGION: 'us-east-1',
    POWERTOOLS_LOG_LEVEL: 'SILENT',
  });
  for (const name of [
    'create-transfer',
    'post-transfer',
    'void-transfer',
    'deposit',
    'withdraw',
    'freeze-account',
  ]) {
    routes[name] = (
      (await import(`../../../lambdas/handlers/api/${name}.ts`)) as { handler: ApiHandler }
    ).handler;
  }
});

async function call(route: string, resource: string, options: Parameters<typeof apiEvent>[2]) {
  const handler = routes[route];
  if (!handler) throw new Error(route);
  const response = await handler(apiEvent('POST', resource, options), lambdaContext());
  return { status: response.statusCode, json: bodyOf(response) };
}

describe("the ledger's own accounts and transfer ids", () => {
  it('cannot be moved through the public transfer API', async () => {
    for (const [debit, credit] of [
      ['fees-USD', 'acct_1'],
      ['acct_1', 'clearing-USD'],
      ['settlement-USD', 'acct_1'],
      ['disputes-EUR', 'acct_1'],
    ]) {
      const reply = await call('create-transfer', '/transfers', {
        body: { debitAccountId: debit, creditAccountId: credit, amount: 1, currency: 'USD' },
      });
      expect(reply).toMatchObject({ status: 422, json: { type: 'urn:ledgerline:problem:system-account' } });
    }
  });

  it("cannot be claimed, posted or voided: a payment's reservation, a refund's legs or a dispute hold", async () => {
    const claim = await call('create-transfer', '/transfers', {
      body: {
        id: 'pay_X-reserve',
        debitAccountId: 'acct_1',
        creditAccountId: 'acct_2',
        amount: 1,
        currency: 'USD',
      },
    });
    expect(claim.json.type).toBe('urn:ledgerline:problem:system-transfer');
    const refundLeg = await call('create-transfer', '/transfers', {
      body: {
        id: 'rf_X-return',
        debitAccountId: 'acct_1',
        creditAccountId: 'acct_2',
        amount: 1,
        currency: 'USD',
      },
    });
    expect(refundLeg.json.type).toBe('urn:ledgerline:problem:system-transfer');
    for (const [route, id] of [
      ['post-transfer', 'pay_ABC-reserve'],
      ['void-transfer', 'pay_ABC-reserve'],
      ['void-transfer', 'dispute-dp_1'],
      ['void-transfer', 'rf_ABC-hold'],
      ['post-transfer', 'rf_ABC-hold'],
      ['post-transfer', 'rf_ABC-return'],
    ] as const) {
      const reply = await call(route, `/transfers/{id}/${route.split('-')[0]}`, { pathParameters: { id } });
      expect(reply).toMatchObject({ status: 422, json: { type: 'urn:ledgerline:problem:system-transfer' } });
    }
  });

  it('cannot take deposits, withdrawals or a freeze through the account routes', async () => {
    for (const [route, resource, body] of [
      ['withdraw', '/accounts/{id}/withdrawals', { amount: 1, currency: 'USD' }],
      ['deposit', '/accounts/{id}/deposits', { amount: 1, currency: 'USD' }],
      ['freeze-account', '/accounts/{id}/freeze', { reason: 'x' }],
    ] as const) {
      const reply = await call(route, resource, { pathParameters: { id: 'fees-USD' }, body });
      expect(reply).toMatchObject({ status: 422, json: { type: 'urn:ledgerline:problem:system-account' } });
    }
    expect(ddb).not.toHaveReceivedAnyCommand();
  });
});
