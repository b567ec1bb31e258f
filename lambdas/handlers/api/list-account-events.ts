import { listAccountEvents } from '../../application/queries.ts';
import { eventsApi } from '../../composition/read-api.ts';
import { parseQuery, queryRoute } from '../../shared/api.ts';
import { decodeCursor, encodeCursor } from '../../shared/cursor.ts';
import { presentEvent } from './present.ts';
import { eventsCursor, pageQuery } from './schemas.ts';

/** GET /accounts/{id}/events?cursor=&limit=: the account's full event history from the event store. */
export const { main, handler } = queryRoute(eventsApi, {
  run: async ({ ports }, { tenantId, pathParameters, query }) => {
    const { cursor, limit } = parseQuery(pageQuery, query);
    const after = cursor ? decodeCursor(cursor, eventsCursor).v : 0;
    return listAccountEvents(ports, tenantId, pathParameters.id ?? '', after, limit);
  },
  present: ({ events, more }) => ({
    data: events.map(presentEvent),
    nextCursor: more && events.length > 0 ? encodeCursor({ v: events.at(-1)?.version }) : null,
  }),
});
