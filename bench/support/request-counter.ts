/**
 * Counts what a DynamoDB client sends: requests, sequential round trips (requests not overlapping
 * in time), consumed capacity and write units per table, per labelled span of work. A client middleware, so every adapter
 * request is seen as sent.
 */
import type { ConsumedCapacity, DynamoDBClient } from '@aws-sdk/client-dynamodb';

interface Sent {
  readonly command: string;
  readonly start: number;
  readonly end: number;
  readonly capacity: number;
  /** The request asked for ReturnConsumedCapacity itself (the adapters must). */
  readonly askedCapacity: boolean;
  readonly writeUnits: Readonly<Record<string, number>>;
}

export interface RequestCount {
  readonly requests: number;
  /** Groups of requests that overlap in time: how many waits the caller sat through one after another. */
  readonly roundTrips: number;
  readonly capacityUnits: number;
  readonly byCommand: Record<string, number>;
  /** Requests sent without ReturnConsumedCapacity (their capacity was asked for by the counter). */
  readonly withoutCapacityRequest: number;
  /**
   * Write request units per table as DynamoDB bills them for items ≤ 1 KB, from what was sent: 2 per item
   * of a TransactWriteItems (a ConditionCheck too), 1 per PutItem. DynamoDB Local under-reports
   * transactions' consumed capacity, so this is counted, not read from the answers.
   */
  readonly writeUnitsByTable: Record<string, number>;
}

function writeUnitsOf(command: string, input: unknown): Record<string, number> {
  const units: Record<string, number> = {};
  const add = (table: string | undefined, n: number) => {
    if (table !== undefined) units[table] = (units[table] ?? 0) + n;
  };
  const { TableName, TransactItems } = input as {
    TableName?: string;
    TransactItems?: ReadonlyArray<Record<string, { TableName?: string } | undefined>>;
  };
  if (command === 'TransactWriteItemsCommand') {
    for (const item of TransactItems ?? [])
      add(Object.values(item).find((op) => op?.TableName)?.TableName, 2);
  } else if (command === 'PutItemCommand') {
    add(TableName, 1);
  }
  return units;
}

function capacityOf(output: unknown): number {
  if (typeof output !== 'object' || output === null || !('ConsumedCapacity' in output)) return 0;
  const consumed: ConsumedCapacity | ConsumedCapacity[] | undefined = (
    output as { ConsumedCapacity?: ConsumedCapacity | ConsumedCapacity[] }
  ).ConsumedCapacity;
  const list = consumed === undefined ? [] : Array.isArray(consumed) ? consumed : [consumed];
  return list.reduce((sum, entry) => sum + (entry.CapacityUnits ?? 0), 0);
}

/** Round trips: requests sorted by start, a new trip whenever one starts after all before it ended. */
export function roundTrips(spans: ReadonlyArray<{ readonly start: number; readonly end: number }>): number {
  let trips = 0;
  let openUntil = Number.NEGATIVE_INFINITY;
  for (const span of [...spans].sort((a, b) => a.start - b.start)) {
    if (span.start >= openUntil) trips++;
    openUntil = Math.max(openUntil, span.end);
  }
  return trips;
}

export class RequestCounter {
  #sent: Sent[] = [];

  constructor(client: DynamoDBClient) {
    client.middlewareStack.add(
      (next, context) => async (args) => {
        const input = args.input as { ReturnConsumedCapacity?: string };
        const askedCapacity = input.ReturnConsumedCapacity !== undefined;
        // So that a store that does not ask (the one before issue 10) can be measured the same way.
        if (!askedCapacity) input.ReturnConsumedCapacity = 'TOTAL';
        const start = performance.now();
        const result = await next(args);
        const end = performance.now();
        const command = context.commandName ?? 'unknown';
        const writeUnits = writeUnitsOf(command, input);
        this.#sent.push({
          command,
          start,
          end,
          capacity: capacityOf(result.output),
          askedCapacity,
          writeUnits,
        });
        return result;
      },
      { step: 'initialize', name: 'benchRequestCounter' },
    );
  }

  /** Runs `work` and counts the requests it sent (run one piece of work at a time). */
  async count<T>(work: () => Promise<T>): Promise<{ result: T; count: RequestCount }> {
    this.#sent = [];
    const result = await work();
    const sent = this.#sent;
    const byCommand: Record<string, number> = {};
    const writeUnitsByTable: Record<string, number> = {};
    for (const { command, writeUnits } of sent) {
      byCommand[command] = (byCommand[command] ?? 0) + 1;
      for (const [table, n] of Object.entries(writeUnits))
        writeUnitsByTable[table] = (writeUnitsByTable[table] ?? 0) + n;
    }
    return {
      result,
      count: {
        requests: sent.length,
        roundTrips: roundTrips(sent),
        capacityUnits: Math.round(sent.reduce((sum, s) => sum + s.capacity, 0) * 100) / 100,
        byCommand,
        withoutCapacityRequest: sent.filter((s) => !s.askedCapacity).length,
        writeUnitsByTable,
      },
    };
  }
}
