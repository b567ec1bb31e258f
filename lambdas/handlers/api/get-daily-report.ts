import { dailyReport } from '../../application/queries.ts';
import { parseQuery, queryRoute } from '../../shared/api.ts';
import { readModelsAdapter } from '../../shared/read-models.ts';
import { presentDailyTotals } from './present.ts';
import { dailyReportQuery } from './schemas.ts';

/** GET /reports/daily?from=&to=&currency=: totals per UTC day (and currency), at most 366 days. */
export const { main, handler } = queryRoute({
  run: (_ports, { tenantId, query }) =>
    dailyReport(readModelsAdapter(), tenantId, parseQuery(dailyReportQuery, query)),
  present: (totals) => ({ data: totals.map(presentDailyTotals) }),
});
