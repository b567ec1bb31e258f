import { parseQuery, queryRoute } from '../../shared/api.ts';
import { decodeCursor, encodeCursor } from '../../shared/cursor.ts';
import { readModelsAdapter } from '../../shared/read-models.ts';
import { listPaymentsQuery, paymentsCursor } from './payment-schemas.ts';
import { presentPayment } from './present-payment.ts';

/** GET /payments?status=&cursor=&limit=: newest first, keyset-paged on (createdAt, id). */
export const { main, handler } = queryRoute({
  run: (_ports, { tenantId, query }) => {
    const { status, cursor, limit } = parseQuery(listPaymentsQuery, query);
    const after = cursor ? decodeCursor(cursor, paymentsCursor).k : null;
    return readModelsAdapter().payments(tenantId, { status, after, limit });
  },
  present: ({ rows, more }) => {
    const last = rows.at(-1);
    return {
      data: rows.map(presentPayment),
      nextCursor: more && last ? encodeCursor({ k: `${last.createdAt}#${last.id}` }) : null,
    };
  },
});
