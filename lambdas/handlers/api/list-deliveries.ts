import { z } from 'zod';
import { getMerchantAccount } from '../../application/disputes.ts';
import { deliveriesReadApi } from '../../composition/read-api.ts';
import { parseQuery, queryRoute } from '../../shared/api.ts';
import { decodeCursor, encodeCursor } from '../../shared/cursor.ts';
import { presentDelivery } from './present-webhooks.ts';
import { pageQuery } from './schemas.ts';

const deliveriesCursor = z.strictObject({ sk: z.string().min(1).max(400) });

/** GET /merchants/{id}/deliveries?cursor=&limit=: every delivery attempt, newest first. */
export const { main, handler } = queryRoute(deliveriesReadApi, {
  run: async ({ ports, deliveries }, { tenantId, pathParameters, query }) => {
    const { cursor, limit } = parseQuery(pageQuery, query);
    const after = cursor ? decodeCursor(cursor, deliveriesCursor).sk : null;
    const merchantAccountId = pathParameters.id ?? '';
    await getMerchantAccount(ports, tenantId, merchantAccountId);
    return deliveries.list(tenantId, merchantAccountId, after, limit);
  },
  present: ({ attempts, next }) => ({
    data: attempts.map(presentDelivery),
    nextCursor: next ? encodeCursor({ sk: next }) : null,
  }),
});
