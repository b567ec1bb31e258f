import { readApi } from '../../composition/read-api.ts';
import { parseQuery, queryRoute } from '../../shared/api.ts';
import { decodeCursor, encodeCursor } from '../../shared/cursor.ts';
import { listPaymentsQuery, paymentsCursor } from './payment-schemas.ts';
import { presentPayment } from './present-payment.ts';

/** GET /payments?status=&cursor=&limit=: newest first, keyset-paged on (createdAt, id). */
export const { main, handler } = queryRoute(readApi, {
  run: ({ readModels }, { tenantId, query }) => {
    const { status, cursor, limit } = parseQuery(listPaymentsQuery, query);
    const after = cursor ? decodeCursor(cursor, paymentsCursor).k : null;
    return readModels.payments(tenantId, { status, after, limit });
  },
  present: ({ rows, more }) => {
    const last = rows.at(-1);
    return {
      data: rows.map(presentPayment),
      nextCursor: more && last ? encodeCursor({ k: `${last.createdAt}#${last.id}` }) : null,
    };
  },
});
