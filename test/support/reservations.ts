import { createTransfer, deposit, openAccount } from '../../lambdas/application/commands.ts';
import type { CommandContext } from '../../lambdas/application/unit-of-work.ts';
import type { LedgerPorts } from '../../lambdas/domain/ports.ts';

/**
 * A two-phase transfer of `amount` USD that expires `timeoutSeconds` from now, from a new payer holding
 * 1,000 to a new payee: what the expiry tests sweep.
 */
export async function reservation(
  ports: LedgerPorts,
  ctx: CommandContext,
  amount: number,
  timeoutSeconds: number,
) {
  const from = (await openAccount(ports, ctx, { currency: 'USD' })).id;
  await deposit(ports, ctx, { accountId: from, amount: 1_000, currency: 'USD' });
  const to = (await openAccount(ports, ctx, { currency: 'USD' })).id;
  const pending = await createTransfer(ports, ctx, {
    debitAccountId: from,
    creditAccountId: to,
    amount,
    currency: 'USD',
    pending: true,
    timeoutSeconds,
  });
  return { from, to, pending };
}
