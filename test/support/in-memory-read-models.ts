import type { AccountState } from '../../lambdas/domain/account.ts';
import type { PaymentState } from '../../lambdas/domain/payments/payment.ts';
import {
  historyGuardKey,
  historyPartition,
  historySortKey,
} from '../../lambdas/domain/projections/account-history.ts';
import { accountViewKey } from '../../lambdas/domain/projections/account-view.ts';
import { currenciesKey, totalsPartition } from '../../lambdas/domain/projections/daily-totals.ts';
import { paymentStatusPartition, paymentViewKey } from '../../lambdas/domain/projections/payment-view.ts';
import {
  type DailyTotals,
  type Guard,
  type GuardedCommit,
  GuardMovedError,
  type Posting,
  type PostingPage,
  type PostingPosition,
  READ_MODELS,
  type ReadModelName,
  type ReadModelQueries,
  type ReadModelStore,
  type RowKey,
} from '../../lambdas/domain/projections/read-model.ts';
import { transferViewKey } from '../../lambdas/domain/projections/transfer-view.ts';
import { isSystemAccount } from '../../lambdas/domain/system-ids.ts';
import type { TransferState } from '../../lambdas/domain/transfer.ts';

type Item = Record<string, unknown>;

const id = (key: RowKey) => `${key.pk}\u0000${key.sk ?? ''}`;

/**
 * Read-model tables in memory with DynamoDB's semantics where they matter: a commit is atomic and
 * conditional on the guard's version (absent for 0), `add` creates the row and adds to counters and
 * string sets. Items are deep-copied in and out.
 */
export class InMemoryReadModels implements ReadModelStore, ReadModelQueries {
  readonly tables = new Map<ReadModelName, Map<string, Item>>(READ_MODELS.map((m) => [m, new Map()]));
  commits = 0;
  /** Called before each commit's condition is checked: tests use it to inject failures or races. */
  beforeCommit: (commit: GuardedCommit<unknown>) => void = () => {};

  #table(model: ReadModelName): Map<string, Item> {
    return this.tables.get(model) as Map<string, Item>;
  }

  async readGuard<S>(model: ReadModelName, key: RowKey): Promise<Guard<S>> {
    const item = this.#table(model).get(id(key));
    if (!item) return { version: 0, state: null };
    return { version: item.version as number, state: structuredClone((item.state ?? null) as S | null) };
  }

  async commit<S>(commit: GuardedCommit<S>): Promise<void> {
    this.beforeCommit(commit as GuardedCommit<unknown>);
    const table = this.#table(commit.model);
    const current = table.get(id(commit.key));
    const version = (current?.version as number | undefined) ?? 0;
    if (version !== commit.expectedVersion) throw new GuardMovedError(commit.model, commit.key);
    this.commits++;
    table.set(id(commit.key), {
      ...commit.attributes,
      ...commit.key,
      tenantId: commit.tenantId,
      version: commit.next.version,
      ...(commit.next.state === null ? {} : { state: structuredClone(commit.next.state) }),
    });
    for (const change of commit.changes) {
      if (change.kind === 'put') {
        table.set(id(change.key), structuredClone({ ...change.row, ...change.key }));
        continue;
      }
      const row: Item = { ...(table.get(id(change.key)) ?? {}), ...change.key, ...change.set };
      for (const [name, value] of Object.entries(change.add)) {
        if (typeof value === 'number') row[name] = ((row[name] as number | undefined) ?? 0) + value;
        else row[name] = [...new Set([...((row[name] as string[] | undefined) ?? []), ...value])].sort();
      }
      table.set(id(change.key), row);
    }
  }

  async commitBatch(commits: readonly GuardedCommit<unknown>[]): Promise<readonly GuardedCommit<unknown>[]> {
    const rejected: GuardedCommit<unknown>[] = [];
    for (const commit of commits) {
      try {
        await this.commit(commit);
      } catch (error) {
        if (!(error instanceof GuardMovedError)) throw error;
        rejected.push(commit);
      }
    }
    return rejected;
  }

  /** Every row of a model, sorted by key and serialized: equal dumps mean byte-for-byte equal tables. */
  dump(model: ReadModelName): string {
    const rows = [...this.#table(model).entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return JSON.stringify(rows.map(([, row]) => canonical(row)));
  }

  async account(tenantId: string, accountId: string): Promise<AccountState | null> {
    return (this.#table('account-view').get(id(accountViewKey(tenantId, accountId)))?.state ??
      null) as AccountState | null;
  }

  async transfer(tenantId: string, transferId: string): Promise<TransferState | null> {
    return (this.#table('transfer-view').get(id(transferViewKey(tenantId, transferId)))?.state ??
      null) as TransferState | null;
  }

  async postings(
    tenantId: string,
    accountId: string,
    after: PostingPosition | null,
    limit: number,
  ): Promise<PostingPage | null> {
    const table = this.#table('account-history');
    const system = isSystemAccount(accountId);
    if (!system && !table.has(id(historyGuardKey(tenantId, accountId)))) return null;
    const pk = historyPartition(tenantId, accountId);
    const from = after ? historySortKey(after) : '';
    const rows = [...table.values()]
      .filter((row) => row.pk === pk && String(row.sk) > from)
      .sort((a, b) => (String(a.sk) < String(b.sk) ? -1 : 1)) as unknown as Posting[];
    if (system && rows.length === 0 && after === null) return null;
    return { rows: rows.slice(0, limit), more: rows.length > limit };
  }

  async dailyTotals(tenantId: string, currency: string, from: string, to: string): Promise<DailyTotals[]> {
    const pk = totalsPartition(tenantId, currency);
    return [...this.#table('daily-totals').values()]
      .filter((row) => row.pk === pk && String(row.sk) >= from && String(row.sk) <= to)
      .sort((a, b) => (String(a.sk) < String(b.sk) ? -1 : 1))
      .map((row) => ({
        day: String(row.sk),
        currency: String(row.currency),
        count: row.count as number,
        debits: row.debits as number,
        credits: row.credits as number,
        deposits: row.deposits as number,
        withdrawals: row.withdrawals as number,
      }));
  }

  async currencies(tenantId: string): Promise<string[]> {
    return (this.#table('daily-totals').get(id(currenciesKey(tenantId)))?.currencies ?? []) as string[];
  }

  async payment(tenantId: string, paymentId: string): Promise<PaymentState | null> {
    return (this.#table('payment-view').get(id(paymentViewKey(tenantId, paymentId)))?.state ??
      null) as PaymentState | null;
  }

  async payments(
    tenantId: string,
    filter: { readonly status?: string | undefined; readonly after: string | null; readonly limit: number },
  ): Promise<{ rows: PaymentState[]; more: boolean }> {
    const rows = [...this.#table('payment-view').values()]
      .filter((row) =>
        filter.status
          ? row.listStatus === paymentStatusPartition(tenantId, filter.status)
          : row.listTenant === tenantId,
      )
      .filter((row) => filter.after === null || String(row.listSk) < filter.after)
      .sort((a, b) => (String(a.listSk) < String(b.listSk) ? 1 : -1))
      .map((row) => row.state as PaymentState);
    return { rows: rows.slice(0, filter.limit), more: rows.length > filter.limit };
  }
}

/** A JSON value with object keys sorted, so equal data serializes to equal text. */
export function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value instanceof Set) return [...value].sort();
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((key) => [key, canonical((value as Record<string, unknown>)[key])]),
    );
  }
  return value;
}
