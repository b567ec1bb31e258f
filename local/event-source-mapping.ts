import { TemplateError } from './errors.ts';
import { type FilterPattern, parseFilterPattern } from './event-filter.ts';

/** An `AWS::Lambda::EventSourceMapping`, properties resolved and Lambda defaults applied. */
export interface EventSourceMapping {
  readonly logicalId: string;
  readonly uuid: string;
  readonly functionName: string;
  readonly sourceArn: string;
  readonly enabled: boolean;
  readonly batchSize: number;
  readonly batchingWindowMs: number;
  readonly filters: readonly FilterPattern[];
  readonly reportBatchItemFailures: boolean;
  /** Stream sources only. */
  readonly startingPosition: 'TRIM_HORIZON' | 'LATEST';
  readonly bisectOnError: boolean;
  /** -1: until the record expires. */
  readonly maxRetryAttempts: number;
  /** -1: no limit. */
  readonly maxRecordAgeSeconds: number;
  readonly onFailureArn: string | undefined;
  /** SQS sources only: `ScalingConfig.MaximumConcurrency`. */
  readonly maxConcurrency: number | undefined;
}

const TYPE = 'AWS::Lambda::EventSourceMapping';
const STREAM_ONLY = [
  'StartingPosition',
  'BisectBatchOnFunctionError',
  'MaximumRetryAttempts',
  'MaximumRecordAgeInSeconds',
  'DestinationConfig',
  'ParallelizationFactor',
];

/** Reads the mapping's properties for a stream (`kind: 'stream'`) or SQS source, with Lambda's defaults. */
export function readEventSourceMapping(
  logicalId: string,
  uuid: string,
  properties: Record<string, unknown>,
  kind: 'stream' | 'sqs',
  functionName: string,
): EventSourceMapping {
  const fail = (message: string): never => {
    throw new TemplateError(logicalId, TYPE, message);
  };
  const number = (name: string, fallback: number): number => {
    const value = properties[name];
    if (value === undefined) return fallback;
    const n = Number(value);
    return Number.isFinite(n) ? n : fail(`${name} must be a number`);
  };
  if (kind === 'sqs') {
    for (const name of STREAM_ONLY)
      if (properties[name] !== undefined) fail(`${name} does not apply to an SQS source`);
  }
  const responseTypes = (properties.FunctionResponseTypes as string[] | undefined) ?? [];
  for (const type of responseTypes)
    if (type !== 'ReportBatchItemFailures') fail(`unknown FunctionResponseType ${type}`);
  const filters = (
    (properties.FilterCriteria as { Filters?: { Pattern?: string }[] } | undefined)?.Filters ?? []
  ).map((filter, i) =>
    parseFilterPattern(filter.Pattern ?? '{}', `${logicalId}.FilterCriteria.Filters[${i}]`),
  );
  const startingPosition = String(properties.StartingPosition ?? 'TRIM_HORIZON');
  if (kind === 'stream' && properties.StartingPosition === undefined)
    fail('StartingPosition is required for a stream');
  if (startingPosition !== 'TRIM_HORIZON' && startingPosition !== 'LATEST') {
    fail(`StartingPosition ${startingPosition} is not supported locally`);
  }
  const destination = properties.DestinationConfig as { OnFailure?: { Destination?: string } } | undefined;
  const onFailureArn = destination?.OnFailure?.Destination;
  if (onFailureArn && !onFailureArn.startsWith('arn:aws:sqs:')) {
    fail(`on-failure destination ${onFailureArn} is not supported locally (only SQS queues)`);
  }
  const scaling = properties.ScalingConfig as { MaximumConcurrency?: number } | undefined;
  return {
    logicalId,
    uuid,
    functionName,
    sourceArn: String(properties.EventSourceArn),
    enabled: properties.Enabled !== false && properties.Enabled !== 'false',
    batchSize: number('BatchSize', kind === 'sqs' ? 10 : 100),
    batchingWindowMs: number('MaximumBatchingWindowInSeconds', 0) * 1000,
    filters,
    reportBatchItemFailures: responseTypes.includes('ReportBatchItemFailures'),
    startingPosition: startingPosition as EventSourceMapping['startingPosition'],
    bisectOnError:
      properties.BisectBatchOnFunctionError === true || properties.BisectBatchOnFunctionError === 'true',
    maxRetryAttempts: number('MaximumRetryAttempts', -1),
    maxRecordAgeSeconds: number('MaximumRecordAgeInSeconds', -1),
    onFailureArn,
    maxConcurrency:
      scaling?.MaximumConcurrency === undefined ? undefined : Number(scaling.MaximumConcurrency),
  };
}

/** The `batchItemFailures` identifiers of a partial batch response; `undefined` means the whole batch failed. */
export function failedItemIds(payload: unknown): string[] | undefined {
  if (payload === null || payload === undefined || typeof payload !== 'object') return [];
  const failures = (payload as { batchItemFailures?: unknown }).batchItemFailures;
  if (failures === null || failures === undefined) return [];
  if (!Array.isArray(failures)) return undefined;
  const ids: string[] = [];
  for (const failure of failures) {
    const id = (failure as { itemIdentifier?: unknown } | null)?.itemIdentifier;
    if (typeof id !== 'string' || id === '') return undefined;
    ids.push(id);
  }
  return ids;
}
