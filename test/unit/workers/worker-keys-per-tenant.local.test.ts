// Worker idempotency keys include the tenant: one tenant's processor event id never answers for another's.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deposit, openAccount } from '../../../lambdas/application/commands.ts';
import { getAccount } from '../../../lambdas/application/queries.ts';
import { main } from '../../../lambdas/handlers/workers/processor-events.ts';
import { logger } from '../../../lambdas/shared/api.ts';
import { workerKeyPath } from '../../../lambdas/shared/workers.ts';
import { lambdaContext } from '../../support/api-events.ts';
import { disputeEvent } from '../../support/processor-events.ts';
import {
  sqsEvent,
  startWorkerEnvironment,
  type WorkerEnvironment,
} from '../../support/worker-environment.ts';

let env: WorkerEnvironment;

beforeAll(async () => {
  logger.setLogLevel('SILENT');
  env = await startWorkerEnvironment();
});
afterAll(async () => {
  await env?.stop();
});

/** A merchant with funds in `tenantId`, and a dispute.opened message for it with the given event id. */
async function disputeFor(tenantId: string, eventId: string) {
  const ctx = { tenantId, correlationId: 'test', causationId: 'test', actor: 'test' };
  const merchant = await openAccount(env.ledger, ctx, { currency: 'USD', kind: 'merchant' });
  await deposit(env.ledger, ctx, { accountId: merchant.id, amount: 10_000, currency: 'USD' });
  const event = disputeEvent({
    id: eventId,
    type: 'dispute.opened',
    tenantId,
    merchantAccountId: merchant.id,
    disputeId: `dp_${tenantId}`,
    amount: 1200,
  });
  const message = { eventId, tenantId, type: 'dispute.opened', receivedAt: new Date().toISOString(), event };
  return { merchant: merchant.id, message };
}

describe('worker idempotency keys', () => {
  it('are (tenant, business id)', () => {
    expect(workerKeyPath({ tenant: 'tenantId', id: 'eventId' })).toBe('[tenantId, eventId]');
  });

  it('apply the same processor event id once per tenant, not once overall', async () => {
    const a = await disputeFor('tenant-key-a', 'evt_shared_id');
    const b = await disputeFor('tenant-key-b', 'evt_shared_id');
    const run = (message: unknown) => main(sqsEvent([message]), env.processorEvents, lambdaContext());

    expect(await run(a.message)).toEqual({ batchItemFailures: [] });
    expect(await run(b.message)).toEqual({ batchItemFailures: [] });

    expect((await getAccount(env.ledger, 'tenant-key-a', a.merchant)).debitsPending).toBe(1200);
    // Keyed on the event id alone, tenant b's event was answered from tenant a's record: no hold.
    expect((await getAccount(env.ledger, 'tenant-key-b', b.merchant)).debitsPending).toBe(1200);
  });
});
