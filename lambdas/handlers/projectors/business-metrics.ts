import { type StoredEvent, streamKey } from '../../domain/events.ts';
import { BUSINESS_METRICS, type BusinessMetric, type Metrics } from '../../shared/metrics.ts';

/**
 * The business measures of a projected batch: `events` are those this attempt applied to the read models
 * for the first time (the projector tells which), so an event a retried batch delivers again, already
 * applied by the attempt before, is not counted twice. The projector sees every event whoever wrote it
 * (API, saga, sweep, processor events), so this is the one place they are counted: a transfer on its own
 * stream (not its account legs), a payment's outcome on the payment stream. Events of a stream that
 * failed from `failures[stream].version` on are counted on the retry that applies them in every model.
 */
export function recordBusinessMetrics(
  events: readonly StoredEvent[],
  failures: ReadonlyMap<string, { readonly version: number }>,
  metrics: Metrics,
  now: number,
): void {
  let lag: number | undefined;
  const amounts = new Map<string, number>();
  for (const event of events) {
    const failure = failures.get(streamKey(event.stream));
    if (failure && event.version >= failure.version) continue;
    const committed = Date.parse(event.occurredAt);
    if (Number.isFinite(committed)) lag = Math.max(lag ?? 0, now - committed);
    for (const metric of businessMetricsOf(event)) metrics.record(metric);
    if (
      event.stream.type === 'transfer' &&
      (event.type === 'TransferPosted' || event.type === 'PendingTransferPosted')
    ) {
      const { currency, amount } = event.payload;
      amounts.set(currency, (amounts.get(currency) ?? 0) + amount);
    }
  }
  for (const [currency, amount] of amounts) {
    metrics.record(BUSINESS_METRICS.amountPosted, {
      value: amount,
      unit: 'None',
      dimensions: { Currency: currency },
    });
  }
  if (lag !== undefined) {
    metrics.record(BUSINESS_METRICS.projectorLag, { value: Math.max(0, lag), unit: 'Milliseconds' });
  }
}

/** The counts one event stands for. */
function businessMetricsOf(event: StoredEvent): BusinessMetric[] {
  if (event.stream.type === 'transfer') {
    return event.type === 'TransferPosted' || event.type === 'PendingTransferPosted'
      ? [BUSINESS_METRICS.transfersPosted]
      : [];
  }
  if (event.stream.type !== 'payment') return [];
  switch (event.type) {
    case 'PaymentSettled':
      return [BUSINESS_METRICS.paymentsSettled];
    case 'PaymentFailed':
      return event.payload.compensations.length > 0
        ? [BUSINESS_METRICS.paymentsFailed, BUSINESS_METRICS.paymentsCompensated]
        : [BUSINESS_METRICS.paymentsFailed];
    case 'ReservationVoided':
    case 'CaptureRefunded':
      return [BUSINESS_METRICS.compensationsRun];
    default:
      return [];
  }
}
