/**
 * Business metrics as CloudWatch embedded metric format (EMF) log lines: CloudWatch turns each line into
 * a data point with no API call and no extra dependency, and the line stays searchable in the logs.
 * The alarm counts are per function (dimension `FunctionName`); the business measures are per stack
 * (no dimension, or the one they are broken down by: `Currency`, `Outcome`). The stack alarms and its
 * dashboard read them (lib/), and the local runtime evaluates the alarms from these same lines.
 */

/** The namespace of every Ledgerline metric. */
export const METRIC_NAMESPACE = 'Ledgerline';

/** The metrics the stack alarms on, by what they count (dimension `FunctionName`). */
export const LEDGER_METRICS = {
  /** A processor fact booked over a ledger rule (a frozen account, insufficient funds): money moved outside. */
  factsOverrode: 'FactsBookedOverRules',
  /** A processor event the ledger refused for good (recorded as rejected on its inbox item). */
  processorEventsRejected: 'ProcessorEventsRejected',
  /** A processor event that came before its predecessor and waits (parked) for it. */
  processorEventsParked: 'ProcessorEventsParked',
  /** An event item was modified or removed: the events table is append-only, so this is tampering. */
  eventsChanged: 'EventsChangedOrRemoved',
} as const;

export type LedgerMetric = (typeof LEDGER_METRICS)[keyof typeof LEDGER_METRICS];

/** The business measures, by what they count or measure. */
export const BUSINESS_METRICS = {
  /** Transfers posted (single-phase, or a pending one posted), counted on the transfer's own stream. */
  transfersPosted: 'TransfersPosted',
  /** The amount those transfers moved, in minor units, by `Currency`. */
  amountPosted: 'AmountPosted',
  paymentsSettled: 'PaymentsSettled',
  paymentsFailed: 'PaymentsFailed',
  /** Failed payments whose compensations (void the reservation, refund the capture) ran. */
  paymentsCompensated: 'PaymentsCompensated',
  /** Compensation steps that completed (a reservation voided, a capture refunded). */
  compensationsRun: 'CompensationsRun',
  /** Merchant webhook deliveries, by `Outcome` (delivered, failed, skipped). */
  webhookDeliveries: 'WebhookDeliveries',
  /** Milliseconds from an event's commit to its projection (the projector's lag). */
  projectorLag: 'ProjectorLagMs',
  /** Commands decided again after another writer moved a stream first. */
  conflictsRetried: 'ConflictsRetried',
  /** Transient failures a retry absorbed: a queue message that succeeded on a later delivery. */
  faultsAbsorbed: 'FaultsAbsorbed',
} as const;

export type BusinessMetric = (typeof BUSINESS_METRICS)[keyof typeof BUSINESS_METRICS];

/** One data point of a business measure. */
export interface Measurement {
  /** @default 1 */
  readonly value?: number;
  /** @default 'Count' */
  readonly unit?: 'Count' | 'Milliseconds' | 'None';
  /** The breakdown (e.g. `{ Currency: 'EUR' }`); none means one series per stack. */
  readonly dimensions?: Readonly<Record<string, string>>;
  /** Travels on the line for a look in the logs, never as a dimension. */
  readonly properties?: Readonly<Record<string, unknown>>;
}

/** Counts alarm-worthy events per function, and records business measures. */
export interface Metrics {
  count(metric: LedgerMetric, functionName: string, properties?: Readonly<Record<string, unknown>>): void;
  record(metric: BusinessMetric, measurement?: Measurement): void;
}

/** The EMF document of one data point. */
function emfDocument(
  metric: string,
  point: Required<Pick<Measurement, 'value' | 'unit' | 'dimensions' | 'properties'>>,
  now: number,
): string {
  return JSON.stringify({
    ...point.properties,
    _aws: {
      Timestamp: now,
      CloudWatchMetrics: [
        {
          Namespace: METRIC_NAMESPACE,
          Dimensions: [Object.keys(point.dimensions)],
          Metrics: [{ Name: metric, Unit: point.unit }],
        },
      ],
    },
    ...point.dimensions,
    [metric]: point.value,
  });
}

/** The EMF document of one count per function. */
export function emfLine(
  metric: LedgerMetric,
  functionName: string,
  properties: Readonly<Record<string, unknown>>,
  now: number,
): string {
  return emfDocument(
    metric,
    { value: 1, unit: 'Count', dimensions: { FunctionName: functionName }, properties },
    now,
  );
}

/** Metrics written to stdout (Lambda sends it to CloudWatch Logs, which extracts them). */
export function emfMetrics(
  write: (line: string) => void = (line) => process.stdout.write(`${line}\n`),
  clock: () => number = Date.now,
): Metrics {
  return {
    count: (metric, functionName, properties = {}) =>
      write(emfLine(metric, functionName, properties, clock())),
    record: (metric, measurement = {}) =>
      write(
        emfDocument(
          metric,
          {
            value: measurement.value ?? 1,
            unit: measurement.unit ?? 'Count',
            dimensions: measurement.dimensions ?? {},
            properties: measurement.properties ?? {},
          },
          clock(),
        ),
      ),
  };
}
