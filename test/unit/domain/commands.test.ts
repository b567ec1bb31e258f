import { beforeEach, describe, expect, it } from 'vitest';
import {
  closeAccount,
  createTransfer,
  deposit,
  expireTransfer,
  freezeAccount,
  getTransfer,
  openAccount,
  postTransfer,
  unfreezeAccount,
  voidTransfer,
  withdraw,
} from '../../../lambdas/application/commands.ts';
import { getAccount } from '../../../lambdas/application/queries.ts';
import { availableBalance } from '../../../lambdas/domain/account.ts';
import {
  AccountClosedError,
  AccountFrozenError,
  AccountNotEmptyError,
  AccountNotFoundError,
  CurrencyMismatchError,
  InsufficientFundsError,
  InvalidStatusTransitionError,
  PendingTransferExpiredError,
  PostAmountExceedsPendingError,
  SameAccountError,
  TransferAlreadyResolvedError,
  TransferExistsWithDifferentFieldsError,
  TransferNotFoundError,
  UnknownCurrencyError,
} from '../../../lambdas/domain/errors.ts';
import { DEFAULT_SHARD_LAYOUT, shardOf, shardStreamId } from '../../../lambdas/domain/shards.ts';
import { settlementAccountId } from '../../../lambdas/domain/system-ids.ts';
import { ctx, inMemoryPorts, type TestPorts } from '../../support/in-memory-ports.ts';

let ports: TestPorts;
const c = ctx();

async function funded(amount: number, currency = 'USD') {
  const account = await openAccount(ports, c, { currency });
  if (amount > 0) await deposit(ports, c, { accountId: account.id, amount, currency });
  return account.id;
}

function streamTypes(id: string, type: 'account' | 'transfer' = 'account') {
  return (ports.events.streams.get(`${type}#tenant-a#${id}`) ?? []).map((e) => e.type);
}

beforeEach(() => {
  ports = inMemoryPorts();
});

describe('opening accounts', () => {
  it('opens a customer account with zero balances that cannot go below zero', async () => {
    const account = await openAccount(ports, c, { currency: 'EUR' });
    expect(account).toMatchObject({
      currency: 'EUR',
      kind: 'customer',
      status: 'open',
      version: 1,
      flags: { debitsMustNotExceedCredits: true },
      debitsPosted: 0,
      creditsPosted: 0,
    });
    expect(streamTypes(account.id)).toEqual(['AccountOpened']);
  });

  it('stamps every event with the tenant, correlation, causation and actor', async () => {
    const account = await openAccount(ports, c, { currency: 'EUR' });
    const [event] = ports.events.streams.get(`account#tenant-a#${account.id}`) ?? [];
    expect(event).toMatchObject({ ...c, schemaVersion: 2, occurredAt: '2026-01-01T00:00:00.000Z' });
  });

  it('rejects an unknown currency and writes nothing', async () => {
    await expect(openAccount(ports, c, { currency: 'ABC' })).rejects.toThrow(UnknownCurrencyError);
    expect(ports.events.all()).toHaveLength(0);
  });

  it("hides another tenant's account", async () => {
    const id = await funded(0);
    await expect(getAccount(ports, 'tenant-b', id)).rejects.toThrow(AccountNotFoundError);
  });
});

describe('deposits and withdrawals', () => {
  it('moves a deposit from the settlement account, which opens itself in the same write', async () => {
    const id = await funded(0);
    const transfer = await deposit(ports, c, { accountId: id, amount: 500, currency: 'USD' });
    expect(transfer).toMatchObject({ status: 'posted', purpose: 'deposit', amount: 500 });
    expect(ports.events.appendCalls).toBe(2); // open + one atomic deposit
    const shard = shardStreamId(
      settlementAccountId('USD'),
      shardOf(transfer.id, DEFAULT_SHARD_LAYOUT.systemShards),
    );
    expect(streamTypes(shard)).toEqual(['AccountOpened', 'TransferPosted']);
    const settlement = await getAccount(ports, 'tenant-a', settlementAccountId('USD'));
    expect(settlement).toMatchObject({ kind: 'internal', debitsPosted: 500 });
    expect(availableBalance(await getAccount(ports, 'tenant-a', id))).toBe(500);
  });

  it('rejects a withdrawal beyond the available balance, saying what is available', async () => {
    const id = await funded(300);
    const attempt = withdraw(ports, c, { accountId: id, amount: 301, currency: 'USD' });
    await expect(attempt).rejects.toThrow(InsufficientFundsError);
    await expect(attempt).rejects.toMatchObject({ details: { available: 300, requested: 301 } });
    expect(streamTypes(id)).toEqual(['AccountOpened', 'TransferPosted']);
  });

  it('allows withdrawing exactly the available balance', async () => {
    const id = await funded(300);
    await withdraw(ports, c, { accountId: id, amount: 300, currency: 'USD' });
    expect(availableBalance(await getAccount(ports, 'tenant-a', id))).toBe(0);
  });

  it('rejects a deposit in another currency than the account', async () => {
    const id = await funded(0, 'EUR');
    await expect(deposit(ports, c, { accountId: id, amount: 1, currency: 'USD' })).rejects.toThrow(
      CurrencyMismatchError,
    );
  });
});

describe('single-phase transfers', () => {
  it('debits one account and credits the other by the same amount', async () => {
    const from = await funded(1000);
    const to = await funded(0);
    await createTransfer(ports, c, {
      debitAccountId: from,
      creditAccountId: to,
      amount: 250,
      currency: 'USD',
    });
    expect(await getAccount(ports, 'tenant-a', from)).toMatchObject({
      debitsPosted: 250,
      creditsPosted: 1000,
    });
    expect(await getAccount(ports, 'tenant-a', to)).toMatchObject({ creditsPosted: 250, debitsPosted: 0 });
  });

  it('rejects a transfer to the same account, to an unknown account, and between currencies', async () => {
    const usd = await funded(100);
    const eur = await funded(0, 'EUR');
    const base = { amount: 1, currency: 'USD' };
    await expect(
      createTransfer(ports, c, { ...base, debitAccountId: usd, creditAccountId: usd }),
    ).rejects.toThrow(SameAccountError);
    await expect(
      createTransfer(ports, c, { ...base, debitAccountId: usd, creditAccountId: 'nope' }),
    ).rejects.toThrow(AccountNotFoundError);
    await expect(
      createTransfer(ports, c, { ...base, debitAccountId: usd, creditAccountId: eur }),
    ).rejects.toThrow(CurrencyMismatchError);
  });

  it('returns the first result for a retried client id with the same fields, and writes nothing', async () => {
    const from = await funded(1000);
    const to = await funded(0);
    const input = { id: 'client-1', debitAccountId: from, creditAccountId: to, amount: 10, currency: 'USD' };
    const first = await createTransfer(ports, c, input);
    const stored = ports.events.all().length;
    expect(await createTransfer(ports, c, input)).toEqual(first);
    // The retry is not read first: its blind create is refused, and nothing is written.
    expect(ports.events.all().length).toBe(stored);
    expect((await getAccount(ports, 'tenant-a', to)).creditsPosted).toBe(10);
  });

  it('rejects a retried client id with different fields', async () => {
    const from = await funded(1000);
    const to = await funded(0);
    const input = { id: 'client-1', debitAccountId: from, creditAccountId: to, amount: 10, currency: 'USD' };
    await createTransfer(ports, c, input);
    await expect(createTransfer(ports, c, { ...input, amount: 11 })).rejects.toThrow(
      TransferExistsWithDifferentFieldsError,
    );
  });
});

describe('a new transfer is created without reading its own stream', () => {
  const readsOfTransfers = () => {
    const read: string[] = [];
    const readStream = ports.events.readStream.bind(ports.events);
    ports.events.readStream = (stream, from, to) => {
      if (stream.type === 'transfer') read.push(stream.id);
      return readStream(stream, from, to);
    };
    return read;
  };

  it('reads only the legs of a new transfer', async () => {
    const from = await funded(1000);
    const to = await funded(0);
    const read = readsOfTransfers();
    const input = { id: 'client-1', debitAccountId: from, creditAccountId: to, amount: 10, currency: 'USD' };
    expect(await createTransfer(ports, c, input)).toMatchObject({ id: 'client-1', status: 'posted' });
    expect(read).toEqual([]);
    // The retry's blind create meets the transfer: then, and only then, it is read.
    expect(await createTransfer(ports, c, input)).toMatchObject({ id: 'client-1', amount: 10 });
    expect(read).toEqual(['client-1']);
  });

  it('answers a retry with the first result even when the decision would now refuse it', async () => {
    const from = await funded(10);
    const to = await funded(0);
    const input = { id: 'client-1', debitAccountId: from, creditAccountId: to, amount: 10, currency: 'USD' };
    const first = await createTransfer(ports, c, input);
    await freezeAccount(ports, c, { accountId: to, reason: 'review' });
    const stored = ports.events.all().length;
    // The payer has nothing left and the payee is frozen: a new transfer would be refused, the retry is not.
    expect(await createTransfer(ports, c, input)).toEqual(first);
    expect(ports.events.all().length).toBe(stored);
    await expect(createTransfer(ports, c, { ...input, amount: 11 })).rejects.toThrow(
      TransferExistsWithDifferentFieldsError,
    );
    await expect(createTransfer(ports, c, { ...input, id: 'client-2' })).rejects.toThrow(AccountFrozenError);
  });

  it('answers a retried deposit or withdrawal the same way', async () => {
    const id = await funded(0);
    const first = await deposit(ports, c, { id: 'dep-1', accountId: id, amount: 5, currency: 'USD' });
    expect(await deposit(ports, c, { id: 'dep-1', accountId: id, amount: 5, currency: 'USD' })).toEqual(
      first,
    );
    const out = await withdraw(ports, c, { id: 'wd-1', accountId: id, amount: 5, currency: 'USD' });
    // The account is empty now: only the retry of the withdrawal that emptied it is answered.
    expect(await withdraw(ports, c, { id: 'wd-1', accountId: id, amount: 5, currency: 'USD' })).toEqual(out);
    await expect(
      withdraw(ports, c, { id: 'wd-2', accountId: id, amount: 5, currency: 'USD' }),
    ).rejects.toThrow(InsufficientFundsError);
    expect((await getAccount(ports, 'tenant-a', id)).creditsPosted).toBe(5);
  });
});

describe('frozen and closed accounts', () => {
  it('refuses new transfers on a frozen account, on either side', async () => {
    const from = await funded(100);
    const to = await funded(0);
    await freezeAccount(ports, c, { accountId: to, reason: 'kyc' });
    await expect(
      createTransfer(ports, c, { debitAccountId: from, creditAccountId: to, amount: 1, currency: 'USD' }),
    ).rejects.toThrow(AccountFrozenError);
    await unfreezeAccount(ports, c, { accountId: to });
    await createTransfer(ports, c, { debitAccountId: from, creditAccountId: to, amount: 1, currency: 'USD' });
  });

  it('refuses to freeze twice', async () => {
    const id = await funded(0);
    await freezeAccount(ports, c, { accountId: id, reason: 'kyc' });
    await expect(freezeAccount(ports, c, { accountId: id, reason: 'again' })).rejects.toThrow(
      InvalidStatusTransitionError,
    );
  });

  it('closes only an empty account, and a closed account takes no transfers', async () => {
    const id = await funded(100);
    await expect(closeAccount(ports, c, { accountId: id })).rejects.toThrow(AccountNotEmptyError);
    await withdraw(ports, c, { accountId: id, amount: 100, currency: 'USD' });
    await closeAccount(ports, c, { accountId: id });
    await expect(deposit(ports, c, { accountId: id, amount: 1, currency: 'USD' })).rejects.toThrow(
      AccountClosedError,
    );
  });
});

describe('two-phase transfers', () => {
  async function reserve(amount: number, timeoutSeconds?: number) {
    const from = await funded(1000);
    const to = await funded(0);
    const pending = await createTransfer(ports, c, {
      debitAccountId: from,
      creditAccountId: to,
      amount,
      currency: 'USD',
      pending: true,
      ...(timeoutSeconds ? { timeoutSeconds } : {}),
    });
    return { from, to, pending };
  }

  it('reserves funds: pending on both sides, and the available balance drops at once', async () => {
    const { from, to, pending } = await reserve(400);
    expect(pending).toMatchObject({ status: 'pending', twoPhase: true, postedAmount: 0 });
    const payer = await getAccount(ports, 'tenant-a', from);
    expect(payer).toMatchObject({ debitsPending: 400, debitsPosted: 0 });
    expect(availableBalance(payer)).toBe(600);
    expect(await getAccount(ports, 'tenant-a', to)).toMatchObject({ creditsPending: 400 });
  });

  it('checks limits at reservation: a reservation beyond the available balance is refused', async () => {
    const { from, to } = await reserve(800);
    await expect(
      createTransfer(ports, c, {
        debitAccountId: from,
        creditAccountId: to,
        amount: 201,
        currency: 'USD',
        pending: true,
      }),
    ).rejects.toThrow(InsufficientFundsError);
  });

  it('posts part of a reservation and releases the rest', async () => {
    const { from, to, pending } = await reserve(400);
    const posted = await postTransfer(ports, c, { transferId: pending.id, amount: 150 });
    expect(posted).toMatchObject({ status: 'posted', postedAmount: 150, amount: 400 });
    expect(await getAccount(ports, 'tenant-a', from)).toMatchObject({ debitsPending: 0, debitsPosted: 150 });
    expect(await getAccount(ports, 'tenant-a', to)).toMatchObject({ creditsPending: 0, creditsPosted: 150 });
  });

  it('refuses to post more than was reserved', async () => {
    const { pending } = await reserve(400);
    await expect(postTransfer(ports, c, { transferId: pending.id, amount: 401 })).rejects.toThrow(
      PostAmountExceedsPendingError,
    );
  });

  it('resolves a reservation exactly once: a repeated post answers as the first, another post or a void is refused', async () => {
    const { pending } = await reserve(400);
    const posted = await postTransfer(ports, c, { transferId: pending.id });
    expect(await postTransfer(ports, c, { transferId: pending.id })).toEqual(posted);
    await expect(postTransfer(ports, c, { transferId: pending.id, amount: 100 })).rejects.toThrow(
      TransferAlreadyResolvedError,
    );
    await expect(voidTransfer(ports, c, { transferId: pending.id })).rejects.toThrow(
      TransferAlreadyResolvedError,
    );
    expect(streamTypes(pending.id, 'transfer')).toEqual(['TransferPending', 'PendingTransferPosted']);
  });

  it('voids a reservation, returning the funds, even on a frozen account', async () => {
    const { from, pending } = await reserve(400);
    await freezeAccount(ports, c, { accountId: from, reason: 'fraud review' });
    await expect(postTransfer(ports, c, { transferId: pending.id })).rejects.toThrow(AccountFrozenError);
    expect(await voidTransfer(ports, c, { transferId: pending.id })).toMatchObject({ status: 'voided' });
    expect(availableBalance(await getAccount(ports, 'tenant-a', from))).toBe(1000);
  });

  it('expires a reservation past its timeout instead of posting it, and says so', async () => {
    const { from, pending } = await reserve(400, 60);
    ports.clock.advance(60);
    await expect(postTransfer(ports, c, { transferId: pending.id })).rejects.toThrow(
      PendingTransferExpiredError,
    );
    expect((await getTransfer(ports, 'tenant-a', pending.id)).status).toBe('expired');
    expect(availableBalance(await getAccount(ports, 'tenant-a', from))).toBe(1000);
  });

  it('lets a sweeper expire only what is due', async () => {
    const { pending } = await reserve(400, 60);
    await expect(expireTransfer(ports, c, { transferId: pending.id })).rejects.toThrow(
      TransferAlreadyResolvedError,
    );
    ports.clock.advance(61);
    expect(await expireTransfer(ports, c, { transferId: pending.id })).toMatchObject({ status: 'expired' });
  });

  it('treats an unknown pending id as not found', async () => {
    await expect(postTransfer(ports, c, { transferId: 'tr_404' })).rejects.toThrow(TransferNotFoundError);
  });
});
