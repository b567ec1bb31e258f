/**
 * Business metrics as CloudWatch embedded metric format (EMF) log lines: CloudWatch turns each line into
 * a data point with no API call and no extra dependency, and the line stays searchable in the logs.
 * Every metric is a count per function (dimension `FunctionName`); the stack alarms on them (lib/).
 */

/** The namespace of every Ledgerline metric. */
export const METRIC_NAMESPACE = 'Ledgerline';

/** The metrics the stack alarms on, by what they count. */
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

/** Counts business events; `properties` travel on the line for a look in the logs, never as dimensions. */
export interface Metrics {
  count(metric: LedgerMetric, functionName: string, properties?: Readonly<Record<string, unknown>>): void;
}

/** The EMF document of one count. */
export function emfLine(
  metric: LedgerMetric,
  functionName: string,
  properties: Readonly<Record<string, unknown>>,
  now: number,
): string {
  return JSON.stringify({
    ...properties,
    _aws: {
      Timestamp: now,
      CloudWatchMetrics: [
        {
          Namespace: METRIC_NAMESPACE,
          Dimensions: [['FunctionName']],
          Metrics: [{ Name: metric, Unit: 'Count' }],
        },
      ],
    },
    FunctionName: functionName,
    [metric]: 1,
  });
}

/** Metrics written to stdout (Lambda sends it to CloudWatch Logs, which extracts them). */
export function emfMetrics(
  write: (line: string) => void = (line) => process.stdout.write(`${line}\n`),
  clock: () => number = Date.now,
): Metrics {
  return {
    count: (metric, functionName, properties = {}) =>
      write(emfLine(metric, functionName, properties, clock())),
  };
}
