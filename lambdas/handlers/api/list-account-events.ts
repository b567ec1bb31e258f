import { listAccountEvents } from '../../application/queries.ts';
import { eventsApi } from '../../composition/read-api.ts';
import { parseQuery, queryRoute } from '../../shared/api.ts';
import { decodeCursor, encodeCursor } from '../../shared/cursor.ts';
import { presentEvent } from './present.ts';
import { eventsCursor, pageQuery } from './schemas.ts';

/**
 * GET /accounts/{id}/events?cursor=&limit=: the account's full event history from the event store, stream
 * by stream (a sharded account's main stream, then its shards); each event names its stream.
 */
export const { main, handler } = queryRoute(eventsApi, {
  run: async ({ ports }, { tenantId, pathParameters, query }) => {
    const { cursor, limit } = parseQuery(pageQuery, query);
    const at = cursor ? decodeCursor(cursor, eventsCursor) : { v: 0 };
    const after = { stream: at.s ?? 0, version: at.v };
    return listAccountEvents(ports, tenantId, pathParameters.id ?? '', after, limit);
  },
  present: ({ events, more, last }) => ({
    data: events.map(presentEvent),
    nextCursor: more ? encodeCursor({ s: last.stream, v: last.version }) : null,
  }),
});
