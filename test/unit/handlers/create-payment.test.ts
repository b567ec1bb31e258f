import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { deposit, openAccount } from '../../../lambdas/application/commands.ts';
import { COMMAND_CONFLICT_RETRY } from '../../../lambdas/composition/ledger.ts';
import type { PaymentsApiDeps } from '../../../lambdas/composition/ledger-api.ts';
import { main } from '../../../lambdas/handlers/api/create-payment.ts';
import { apiEvent, bodyOf, lambdaContext } from '../../support/api-events.ts';
import { ctx, inMemoryPorts, type TestPorts } from '../../support/in-memory-ports.ts';

// Only the idempotency table is DynamoDB here; every write to it succeeds.
const ddb = mockClient(DynamoDBClient);
let ports: TestPorts;
let started: string[];
let deps: PaymentsApiDeps;
let payer: string;
let merchant: string;
let keys = 0;

beforeEach(async () => {
  ddb.reset();
  ddb.onAnyCommand().resolves({});
  ports = inMemoryPorts();
  started = [];
  deps = {
    ports,
    retry: COMMAND_CONFLICT_RETRY,
    idempotency: { client: new DynamoDBClient({ region: 'us-east-1' }), tableName: 'idempotency' },
    startSettlement: async (_tenantId, paymentId) => {
      started.push(paymentId);
    },
    feeBps: 0,
  };
  payer = (await openAccount(ports, ctx(), { currency: 'USD' })).id;
  merchant = (await openAccount(ports, ctx(), { currency: 'USD', kind: 'merchant' })).id;
  await deposit(ports, ctx(), { accountId: payer, amount: 10_000, currency: 'USD' });
});

async function pay(payerAccountId: string, merchantAccountId: string) {
  const event = apiEvent('POST', '/payments', {
    headers: { 'Idempotency-Key': `key-${++keys}` },
    body: { payerAccountId, merchantAccountId, amount: 100, currency: 'USD', paymentMethod: 'pm_card_visa' },
  });
  const response = await main(event, deps, lambdaContext());
  return { status: response.statusCode, json: bodyOf(response) };
}

describe('POST /payments', () => {
  it('refuses a system account as payer or merchant with 422 problem+json, writes nothing, starts no saga', async () => {
    const before = ports.events.all().length;
    for (const [p, m] of [
      ['settlement-USD', merchant],
      ['clearing-USD', merchant],
      ['fees-USD', merchant],
      [payer, 'fees-USD'],
    ] as const) {
      const reply = await pay(p, m);
      expect(reply).toMatchObject({ status: 422, json: { type: 'urn:ledgerline:problem:system-account' } });
    }
    expect(ports.events.all().length).toBe(before);
    expect(started).toEqual([]);
  });

  it('refuses a merchant that is not a merchant account before the saga starts', async () => {
    const customer = (await openAccount(ports, ctx(), { currency: 'USD' })).id;
    const before = ports.events.all().length;
    const reply = await pay(payer, customer);
    expect(reply.status).toBe(422);
    expect(reply.json.type).toMatch(/^urn:ledgerline:problem:/);
    expect(ports.events.all().length).toBe(before);
    expect(started).toEqual([]);
  });

  it('accepts a payment between a customer and a merchant and starts its saga', async () => {
    const reply = await pay(payer, merchant);
    expect(reply.status).toBe(202);
    expect(started).toHaveLength(1);
  });
});
