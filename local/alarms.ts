// Local alarms: the template's alarms on metrics the functions write as embedded-metric (EMF) log lines,
// evaluated from those lines as the functions print them. Alarms on AWS service metrics (Lambda, SQS,
// API Gateway, DynamoDB, Step Functions, metric math, log metric filters) cannot be seen here: they are
// listed once at start and ignored. Each transition is printed and published, as CloudWatch does, to the
// alarm's SNS actions for the new state (the alarm topic, served by the SQS emulator).
import { PublishCommand } from '@aws-sdk/client-sns';
import type { CfnTemplate } from './cloud-assembly.ts';
import type { Provisioner } from './provisioners/provisioner.ts';
import { localSnsClient } from './provisioners/sns-topics.ts';
import type { StackValues } from './values.ts';

/** An alarm the local runtime can evaluate: one metric of one namespace, with its dimensions. */
export interface AlarmSpec {
  readonly name: string;
  readonly namespace: string;
  readonly metricName: string;
  readonly dimensions: Readonly<Record<string, string>>;
  readonly statistic: 'Sum' | 'Maximum' | 'Minimum' | 'Average' | 'SampleCount';
  readonly periodSeconds: number;
  readonly threshold: number;
  readonly comparison: string;
  readonly description?: string;
  /** The SNS topic ARNs told of a transition into each state (`AlarmActions`, `OKActions`). */
  readonly actions?: Readonly<Record<AlarmState, readonly string[]>>;
}

export type AlarmState = 'OK' | 'ALARM';

/** Publishes one message to an SNS topic. */
export type AlarmPublisher = (topicArn: string, subject: string, message: string) => Promise<void>;

/** Publishes to the emulator's SNS (the SQS endpoint); `destroy` closes its client. */
export function snsAlarmPublisher(endpoint: string, region: string) {
  const client = localSnsClient(endpoint, region);
  const publish: AlarmPublisher = async (TopicArn, Subject, Message) => {
    await client.send(new PublishCommand({ TopicArn, Subject, Message }));
  };
  return { publish, destroy: () => client.destroy() };
}

const COMPARISONS: Readonly<Record<string, (value: number, threshold: number) => boolean>> = {
  GreaterThanOrEqualToThreshold: (v, t) => v >= t,
  GreaterThanThreshold: (v, t) => v > t,
  LessThanThreshold: (v, t) => v < t,
  LessThanOrEqualToThreshold: (v, t) => v <= t,
};
const STATISTICS = ['Sum', 'Maximum', 'Minimum', 'Average', 'SampleCount'] as const;

function isStatistic(value: unknown): value is AlarmSpec['statistic'] {
  return STATISTICS.some((s) => s === value);
}

function record(value: unknown): Readonly<Record<string, unknown>> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? { ...value } : {};
}

/** `Logs::MetricFilter` turns log lines into metrics in CloudWatch only: nothing to build locally. */
export const metricFilterProvisioners: Readonly<Record<string, Provisioner>> = {
  'AWS::Logs::MetricFilter': {
    skipped: 'no CloudWatch Logs locally (its alarm is not evaluated)',
    provision: (r) => ({ ref: r.logicalId, attributes: {} }),
  },
};

/**
 * The template's alarms split into those on metrics the functions print (EMF, namespaces other than
 * `AWS/…`, one metric, `Sum`/`Maximum`/… statistic) and the names of those the runtime cannot see.
 */
export function alarmSpecsOf(
  template: CfnTemplate,
  values: Pick<StackValues, 'resolve'>,
): { specs: AlarmSpec[]; unseen: string[] } {
  const specs: AlarmSpec[] = [];
  const unseen: string[] = [];
  for (const [logicalId, resource] of Object.entries(template.Resources ?? {})) {
    if (resource.Type !== 'AWS::CloudWatch::Alarm') continue;
    const p = record(resource.Properties);
    const namespace = p.Namespace;
    const comparison = typeof p.ComparisonOperator === 'string' ? p.ComparisonOperator : '';
    if (
      typeof namespace !== 'string' ||
      namespace.startsWith('AWS/') ||
      typeof p.MetricName !== 'string' ||
      !isStatistic(p.Statistic) ||
      !COMPARISONS[comparison]
    ) {
      unseen.push(logicalId);
      continue;
    }
    const topics = (key: string): string[] => {
      const resolved = values.resolve(p[key] ?? [], `${logicalId}.${key}`);
      return (Array.isArray(resolved) ? resolved : []).filter(
        (arn): arn is string => typeof arn === 'string' && arn.startsWith('arn:aws:sns:'),
      );
    };
    const dimensions: Record<string, string> = {};
    for (const dimension of Array.isArray(p.Dimensions) ? p.Dimensions : []) {
      const { Name, Value } = record(dimension);
      if (typeof Name === 'string')
        dimensions[Name] = String(values.resolve(Value, `${logicalId}.Dimensions`));
    }
    specs.push({
      name: logicalId,
      namespace,
      metricName: p.MetricName,
      dimensions,
      statistic: p.Statistic,
      periodSeconds: Number(p.Period ?? 60),
      threshold: Number(p.Threshold ?? 0),
      comparison,
      ...(typeof p.AlarmDescription === 'string' ? { description: p.AlarmDescription } : {}),
      actions: { ALARM: topics('AlarmActions'), OK: topics('OKActions') },
    });
  }
  return { specs, unseen };
}

interface Point {
  readonly at: number;
  readonly value: number;
}

function statistic(kind: AlarmSpec['statistic'], points: readonly Point[]): number {
  const values = points.map((p) => p.value);
  switch (kind) {
    case 'Sum':
      return values.reduce((a, b) => a + b, 0);
    case 'Maximum':
      return Math.max(...values);
    case 'Minimum':
      return Math.min(...values);
    case 'Average':
      return values.reduce((a, b) => a + b, 0) / values.length;
    case 'SampleCount':
      return values.length;
  }
}

/** The data points an EMF line carries: per metric, its value and the dimension values of each set. */
function emfPoints(
  line: string,
): { namespace: string; name: string; value: number; dims: Record<string, string>[] }[] {
  if (!line.includes('"CloudWatchMetrics"')) return [];
  let parsed: Record<string, unknown>;
  try {
    parsed = { ...record(JSON.parse(line)) };
  } catch {
    return [];
  }
  const directives = record(parsed._aws).CloudWatchMetrics;
  if (!Array.isArray(directives)) return [];
  return directives.flatMap((d) => {
    const { Namespace, Dimensions, Metrics } = record(d);
    if (typeof Namespace !== 'string' || !Array.isArray(Metrics)) return [];
    const sets = (Array.isArray(Dimensions) ? Dimensions : [[]]).map((set) =>
      Object.fromEntries(
        (Array.isArray(set) ? set : []).map((key) => [String(key), String(parsed[String(key)])]),
      ),
    );
    return Metrics.flatMap((m) => {
      const name = record(m).Name;
      const value = typeof name === 'string' ? Number(parsed[name]) : Number.NaN;
      return typeof name === 'string' && Number.isFinite(value)
        ? [{ namespace: Namespace, name, value, dims: sets }]
        : [];
    });
  });
}

const sameDimensions = (a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>) =>
  Object.keys(a).length === Object.keys(b).length && Object.entries(a).every(([k, v]) => b[k] === v);

/**
 * Evaluates alarms from the EMF lines functions print: each alarm's statistic over its last period
 * against its threshold, on every data point it receives and on `tick()`; prints each transition.
 */
export class LocalAlarms {
  readonly #specs: readonly AlarmSpec[];
  readonly #points = new Map<string, Point[]>();
  readonly #states = new Map<string, AlarmState>();
  readonly #log: (line: string) => void;
  readonly #now: () => number;
  readonly #publish: AlarmPublisher | undefined;
  readonly #published = new Set<Promise<void>>();

  constructor(
    alarms: { readonly specs: readonly AlarmSpec[]; readonly unseen: readonly string[] },
    options: {
      readonly log: (line: string) => void;
      /** The evaluator's clock (tests move it past a period instead of waiting). @default Date.now */
      readonly now?: () => number;
      /** Where a transition goes besides the log: the alarm's SNS actions. @default nowhere */
      readonly publish?: AlarmPublisher;
    },
  ) {
    this.#specs = alarms.specs;
    this.#log = options.log;
    this.#now = options.now ?? Date.now;
    this.#publish = options.publish;
    for (const spec of alarms.specs) this.#states.set(spec.name, 'OK');
    options.log(
      `alarms: evaluating ${alarms.specs.length} alarm(s) on the functions' EMF metrics; ` +
        `${alarms.unseen.length} watch AWS service metrics the local runtime cannot see and are ignored` +
        (alarms.unseen.length > 0 ? ` (${alarms.unseen.join(', ')})` : ''),
    );
  }

  /** The current state of an alarm by logical id. */
  state(name: string): AlarmState | undefined {
    return this.#states.get(name);
  }

  /** Feeds one line a function printed. */
  observe(_functionName: string, line: string): void {
    const now = this.#now();
    for (const point of emfPoints(line)) {
      for (const spec of this.#specs) {
        if (spec.namespace !== point.namespace || spec.metricName !== point.name) continue;
        if (!point.dims.some((dims) => sameDimensions(spec.dimensions, dims))) continue;
        const points = this.#points.get(spec.name) ?? [];
        points.push({ at: now, value: point.value });
        this.#points.set(spec.name, points);
        this.#evaluate(spec, now);
      }
    }
  }

  /** Evaluates every alarm now (an alarm whose period passed with no data goes back to OK). */
  tick(): void {
    const now = this.#now();
    for (const spec of this.#specs) this.#evaluate(spec, now);
  }

  /** Resolves when every transition so far has been published. */
  async flush(): Promise<void> {
    while (this.#published.size > 0) await Promise.all([...this.#published]);
  }

  #evaluate(spec: AlarmSpec, now: number): void {
    const since = now - spec.periodSeconds * 1000;
    const points = (this.#points.get(spec.name) ?? []).filter((p) => p.at > since);
    this.#points.set(spec.name, points);
    const value = points.length > 0 ? statistic(spec.statistic, points) : undefined;
    const breaching = value !== undefined && (COMPARISONS[spec.comparison]?.(value, spec.threshold) ?? false);
    const next: AlarmState = breaching ? 'ALARM' : 'OK';
    const previous = this.#states.get(spec.name);
    if (previous === next) return;
    this.#states.set(spec.name, next);
    const reading = value === undefined ? 'no data' : `${spec.statistic} ${value}`;
    const reason = `${spec.metricName} ${reading}, ${spec.comparison} ${spec.threshold} over ${spec.periodSeconds} s`;
    this.#log(`alarm ${spec.name}: ${previous} -> ${next} (${reason})`);
    for (const topic of spec.actions?.[next] ?? [])
      this.#notify(topic, spec, previous ?? 'OK', next, reason, now);
  }

  /** CloudWatch's alarm notification (the fields a subscriber reads), published to one topic. */
  #notify(topic: string, spec: AlarmSpec, old: AlarmState, next: AlarmState, reason: string, now: number) {
    if (!this.#publish) return;
    const message = JSON.stringify({
      AlarmName: spec.name,
      AlarmDescription: spec.description ?? null,
      NewStateValue: next,
      OldStateValue: old,
      NewStateReason: reason,
      StateChangeTime: new Date(now).toISOString(),
      Trigger: {
        MetricName: spec.metricName,
        Namespace: spec.namespace,
        Statistic: spec.statistic.toUpperCase(),
        Dimensions: Object.entries(spec.dimensions).map(([name, value]) => ({ name, value })),
        Period: spec.periodSeconds,
        Threshold: spec.threshold,
        ComparisonOperator: spec.comparison,
      },
    });
    const sent = this.#publish(topic, `${next}: "${spec.name}"`, message).catch((error: unknown) =>
      this.#log(`alarm ${spec.name}: could not publish to ${topic}: ${String(error)}`),
    );
    this.#published.add(sent);
    void sent.finally(() => this.#published.delete(sent));
  }
}
