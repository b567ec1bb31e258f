import { dailyReport } from '../../application/queries.ts';
import { readApi } from '../../composition/read-api.ts';
import { parseQuery, queryRoute } from '../../shared/api.ts';
import { presentDailyTotals } from './present.ts';
import { dailyReportQuery } from './schemas.ts';

/** GET /reports/daily?from=&to=&currency=: totals per UTC day (and currency), at most 366 days. */
export const { main, handler } = queryRoute(readApi, {
  run: ({ readModels }, { tenantId, query }) =>
    dailyReport(readModels, tenantId, parseQuery(dailyReportQuery, query)),
  present: (totals) => ({ data: totals.map(presentDailyTotals) }),
});
