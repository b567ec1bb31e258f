import { AccountNotFoundError } from '../domain/errors.ts';
import type { Posting, PostingPosition, ReadModelQueries } from '../domain/projections/read-model.ts';

/** Posting times `[from, to)`, ISO 8601 instants as the history stores them (`2026-12-01T00:00:00.000Z`). */
export interface PostingPeriod {
  readonly from: string;
  readonly to: string;
}

/** Rows per history read: a Query reads at most 1 MB, about 4,000 history rows. */
export const STATEMENT_PAGE_SIZE = 1000;

/** The keyset position just before the first posting at or after `from`. */
export const periodStart = (period: PostingPeriod): PostingPosition => ({
  postedAt: period.from,
  transferId: '',
});

/**
 * An account's postings after `after` and before `period.to`, one history page at a time in
 * (postedAt, transferId) order: keyset-paged, so nothing is held but the page being handed out.
 * The first `next()` throws AccountNotFoundError for an account the tenant does not have.
 */
export async function* postingPages(
  views: ReadModelQueries,
  tenantId: string,
  accountId: string,
  range: { readonly after: PostingPosition; readonly to: string },
  pageSize = STATEMENT_PAGE_SIZE,
): AsyncGenerator<readonly Posting[]> {
  let after = range.after;
  for (;;) {
    const page = await views.postings(tenantId, accountId, after, pageSize);
    if (!page) throw new AccountNotFoundError(accountId);
    const inPeriod = page.rows.filter((row) => row.postedAt < range.to);
    if (inPeriod.length > 0) yield inPeriod;
    const last = page.rows.at(-1);
    if (!page.more || !last || inPeriod.length < page.rows.length) return;
    after = { postedAt: last.postedAt, transferId: last.transferId };
  }
}
