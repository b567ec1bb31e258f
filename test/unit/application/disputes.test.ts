import { beforeEach, describe, expect, it } from 'vitest';
import { deposit, openAccount } from '../../../lambdas/application/commands.ts';
import { openDispute } from '../../../lambdas/application/disputes.ts';
import { getAccount } from '../../../lambdas/application/queries.ts';
import { InsufficientFundsError } from '../../../lambdas/domain/errors.ts';
import { disputesAccountId } from '../../../lambdas/domain/system-ids.ts';
import { ctx, inMemoryPorts, type TestPorts } from '../../support/in-memory-ports.ts';

let ports: TestPorts;
let merchant: string;
const c = ctx();
const dispute = () => ({ disputeId: 'dp_1', merchantAccountId: merchant, amount: 300, currency: 'USD' });

beforeEach(async () => {
  ports = inMemoryPorts();
  merchant = (await openAccount(ports, c, { currency: 'USD', kind: 'merchant' })).id;
});

describe('the disputes account', () => {
  it('opens itself in the same atomic write as the first hold', async () => {
    await deposit(ports, c, { accountId: merchant, amount: 1_000, currency: 'USD' });
    const before = ports.events.appendCalls;
    const hold = await openDispute(ports, c, dispute());
    expect(ports.events.appendCalls).toBe(before + 1);
    expect(hold).toMatchObject({ status: 'pending', creditAccountId: 'disputes-USD', amount: 300 });
    expect(await getAccount(ports, c.tenantId, disputesAccountId('USD'))).toMatchObject({
      kind: 'internal',
      creditsPending: 300,
      version: 2,
    });
  });

  it('is not opened when the hold is rejected', async () => {
    await expect(openDispute(ports, c, dispute())).rejects.toBeInstanceOf(InsufficientFundsError);
    const stream = { type: 'account' as const, tenantId: c.tenantId, id: disputesAccountId('USD') };
    expect(await ports.events.readStream(stream)).toEqual([]);
  });
});
