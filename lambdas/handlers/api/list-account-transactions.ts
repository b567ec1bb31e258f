import { listTransactions } from '../../application/queries.ts';
import { readApi } from '../../composition/read-api.ts';
import { parseQuery, queryRoute } from '../../shared/api.ts';
import { decodeCursor, encodeCursor } from '../../shared/cursor.ts';
import { presentPosting } from './present.ts';
import { pageQuery, transactionsCursor } from './schemas.ts';

/** GET /accounts/{id}/transactions?cursor=&limit=: postings, keyset-paged on (postedAt, transferId). */
export const { main, handler } = queryRoute(readApi, {
  run: ({ readModels }, { tenantId, pathParameters, query }) => {
    const { cursor, limit } = parseQuery(pageQuery, query);
    const after = cursor ? decodeCursor(cursor, transactionsCursor) : null;
    return listTransactions(readModels, tenantId, pathParameters.id ?? '', after, limit);
  },
  present: ({ rows, more }) => {
    const last = rows.at(-1);
    return {
      data: rows.map(presentPosting),
      nextCursor:
        more && last ? encodeCursor({ postedAt: last.postedAt, transferId: last.transferId }) : null,
    };
  },
});
