import {
  createTransfer,
  deposit,
  freezeAccount,
  openAccount,
  postTransfer,
  unfreezeAccount,
  voidTransfer,
  withdraw,
} from '../../../lambdas/application/commands.ts';
import { type StoredEvent, streamKey } from '../../../lambdas/domain/events.ts';
import { ctx, inMemoryPorts, type TestPorts } from '../../support/in-memory-ports.ts';

/** A small ledger's life over two days and two tenants: every event type, every read model touched. */
export async function ledgerScenario(): Promise<{ ports: TestPorts; ids: Record<string, string> }> {
  const ports = inMemoryPorts();
  const a = ctx('tenant-a');
  const b = ctx('tenant-b');
  const alice = (await openAccount(ports, a, { currency: 'USD' })).id;
  const bob = (await openAccount(ports, a, { currency: 'USD', kind: 'merchant' })).id;
  const yen = (await openAccount(ports, a, { currency: 'JPY' })).id;
  const carol = (await openAccount(ports, b, { currency: 'USD' })).id;
  ports.clock.advance(1);
  await deposit(ports, a, { accountId: alice, amount: 10_000, currency: 'USD' });
  await deposit(ports, a, { accountId: yen, amount: 500, currency: 'JPY' });
  await deposit(ports, b, { accountId: carol, amount: 700, currency: 'USD' });
  ports.clock.advance(1);
  const t1 = (
    await createTransfer(ports, a, {
      debitAccountId: alice,
      creditAccountId: bob,
      amount: 2_500,
      currency: 'USD',
    })
  ).id;
  const hold = (
    await createTransfer(ports, a, {
      debitAccountId: alice,
      creditAccountId: bob,
      amount: 4_000,
      currency: 'USD',
      pending: true,
    })
  ).id;
  await freezeAccount(ports, a, { accountId: bob, reason: 'kyc' });
  await unfreezeAccount(ports, a, { accountId: bob });
  ports.clock.advance(24 * 3600);
  await postTransfer(ports, a, { transferId: hold, amount: 1_000 });
  const voided = (
    await createTransfer(ports, a, {
      debitAccountId: alice,
      creditAccountId: bob,
      amount: 300,
      currency: 'USD',
      pending: true,
    })
  ).id;
  await voidTransfer(ports, a, { transferId: voided });
  await withdraw(ports, a, { accountId: bob, amount: 3_000, currency: 'USD' });
  return { ports, ids: { alice, bob, yen, carol, t1, hold, voided } };
}

/** Every event of every stream, each stream in version order (a clean replay's input). */
export function inStreamOrder(ports: TestPorts): StoredEvent[] {
  return [...ports.events.streams.entries()]
    .sort(([x], [y]) => (x < y ? -1 : 1))
    .flatMap(([, events]) => [...events].sort((x, y) => x.version - y.version));
}

/** The last event of each stream. */
export function lastOfEachStream(events: readonly StoredEvent[]): StoredEvent[] {
  const last = new Map<string, StoredEvent>();
  for (const event of events) {
    const key = streamKey(event.stream);
    if ((last.get(key)?.version ?? 0) < event.version) last.set(key, event);
  }
  return [...last.values()];
}
