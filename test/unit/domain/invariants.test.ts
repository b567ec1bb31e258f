import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  createTransfer,
  deposit,
  openAccount,
  postTransfer,
  voidTransfer,
  withdraw,
} from '../../../lambdas/application/commands.ts';
import { getAccount } from '../../../lambdas/application/queries.ts';
import { type AccountState, availableBalance, evolveAccount } from '../../../lambdas/domain/account.ts';
import { LedgerError } from '../../../lambdas/domain/errors.ts';
import { combineShards } from '../../../lambdas/domain/shards.ts';
import { settlementAccountId } from '../../../lambdas/domain/system-ids.ts';
import { accountStreams, ctx, inMemoryPorts } from '../../support/in-memory-ports.ts';

const ACCOUNTS = 4;
const op = fc.oneof(
  fc.record({
    kind: fc.constant('deposit' as const),
    to: fc.nat(ACCOUNTS - 1),
    amount: fc.integer({ min: 1, max: 500 }),
  }),
  fc.record({
    kind: fc.constant('withdraw' as const),
    from: fc.nat(ACCOUNTS - 1),
    amount: fc.integer({ min: 1, max: 500 }),
  }),
  fc.record({
    kind: fc.constant('transfer' as const),
    from: fc.nat(ACCOUNTS - 1),
    to: fc.nat(ACCOUNTS - 1),
    amount: fc.integer({ min: 1, max: 500 }),
    pending: fc.boolean(),
  }),
  fc.record({
    kind: fc.constant('resolve' as const),
    pick: fc.nat(),
    post: fc.boolean(),
    fraction: fc.double({ min: 0.01, max: 1, noNaN: true }),
  }),
);

describe('the double-entry invariant', () => {
  it('holds under any sequence of deposits, withdrawals, transfers, posts and voids', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { maxLength: 60 }), async (ops) => {
        const ports = inMemoryPorts({ systemShards: 3, hotShards: 2 });
        const c = ctx();
        const ids: string[] = [];
        // Half of them hot (merchants: credits land on replicas), and few shards, so legs meet on them.
        for (let i = 0; i < ACCOUNTS; i++) {
          const kind = i % 2 === 0 ? 'customer' : 'merchant';
          ids.push((await openAccount(ports, c, { currency: 'USD', kind })).id);
        }
        const pending: { id: string; from: string; to: string; amount: number }[] = [];
        const at = (i: number) => ids[i] ?? '';
        // An independent model of what each balance must be, updated only for commands that succeeded.
        const model = new Map<string, { dp: number; dpo: number; cp: number; cpo: number }>();
        const m = (id: string) => {
          const entry = model.get(id) ?? { dp: 0, dpo: 0, cp: 0, cpo: 0 };
          model.set(id, entry);
          return entry;
        };
        const settlement = settlementAccountId('USD');
        for (const o of ops) {
          try {
            if (o.kind === 'deposit') {
              await deposit(ports, c, { accountId: at(o.to), amount: o.amount, currency: 'USD' });
              m(settlement).dpo += o.amount;
              m(at(o.to)).cpo += o.amount;
            }
            if (o.kind === 'withdraw') {
              await withdraw(ports, c, { accountId: at(o.from), amount: o.amount, currency: 'USD' });
              m(at(o.from)).dpo += o.amount;
              m(settlement).cpo += o.amount;
            }
            if (o.kind === 'transfer') {
              const t = await createTransfer(ports, c, {
                debitAccountId: at(o.from),
                creditAccountId: at(o.to),
                amount: o.amount,
                currency: 'USD',
                pending: o.pending,
              });
              if (o.pending) {
                pending.push({ id: t.id, from: at(o.from), to: at(o.to), amount: o.amount });
                m(at(o.from)).dp += o.amount;
                m(at(o.to)).cp += o.amount;
              } else {
                m(at(o.from)).dpo += o.amount;
                m(at(o.to)).cpo += o.amount;
              }
            }
            if (o.kind === 'resolve' && pending.length > 0) {
              const [reservation] = pending.splice(o.pick % pending.length, 1);
              if (!reservation) throw new Error('unreachable');
              const { id: transferId, from, to, amount } = reservation;
              if (o.post) {
                const posted = Math.max(1, Math.floor(amount * o.fraction));
                await postTransfer(ports, c, { transferId, amount: posted });
                m(from).dpo += posted;
                m(to).cpo += posted;
              } else {
                await voidTransfer(ports, c, { transferId });
              }
              m(from).dp -= amount;
              m(to).cp -= amount;
            }
          } catch (error) {
            // Rule violations (insufficient funds, same account) are expected outcomes; anything else is a bug.
            if (!(error instanceof LedgerError)) throw error;
          }
        }

        const accounts: AccountState[] = [];
        for (const id of [...ids, settlementAccountId('USD')]) {
          try {
            accounts.push(await getAccount(ports, 'tenant-a', id));
          } catch {
            // The settlement account exists only once money moved in or out.
          }
        }
        const sum = (f: (a: AccountState) => number) => accounts.reduce((total, a) => total + f(a), 0);
        expect(sum((a) => a.creditsPosted - a.debitsPosted)).toBe(0);
        expect(sum((a) => a.creditsPending - a.debitsPending)).toBe(0);
        for (const account of accounts) {
          const expected = m(account.id);
          expect([
            account.debitsPending,
            account.debitsPosted,
            account.creditsPending,
            account.creditsPosted,
          ]).toEqual([expected.dp, expected.dpo, expected.cp, expected.cpo]);
          if (account.kind !== 'internal') expect(availableBalance(account)).toBeGreaterThanOrEqual(0);
          // A replay of the raw streams (no snapshot), summed, yields the same state.
          const replays = [...accountStreams(ports, account.id).values()].map((events) =>
            events.reduce<AccountState | null>(evolveAccount, null),
          );
          expect(combineShards(replays.flatMap((r) => r ?? []))).toEqual(account);
        }
      }),
      { numRuns: 150 },
    );
  });
});
