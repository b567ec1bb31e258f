import { Duration, Validations } from 'aws-cdk-lib';
import { FilterCriteria, FilterRule, StartingPosition } from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource, SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import { Construct } from 'constructs';
import { ApiFunction } from './api-function.ts';
import type { EventStore } from './event-store.ts';
import type { MerchantNotifications } from './merchant-notifications.ts';
import { DeadLetterQueue } from './queues.ts';

/** The outbox event type the relay forwards (lambdas/handlers/relay/relay.ts). */
export const RELAYED_EVENT_TYPES = ['MerchantNotificationRequested'] as const;

/** Properties of a {@link Relay}. */
export interface RelayProps {
  readonly eventStore: EventStore;
  readonly notifications: MerchantNotifications;
  /** @default 5 */
  readonly retryAttempts?: number;
  /** @default Duration.hours(6) */
  readonly maxRecordAge?: Duration;
}

/**
 * The relay: the events table stream's second and last reader (DynamoDB Streams allows two per
 * shard). It sees only INSERTs of outbox events (filtered by Lambda, so other events cost nothing)
 * and forwards each to the notifications queue; further consumers fan out from SQS, never by adding
 * a third mapping. Bisect, bounded retries and record age, partial batch responses; batches that
 * still fail leave their metadata in a DeadLetterQueue.
 */
export class Relay extends Construct {
  public readonly function: ApiFunction;
  public readonly failures: DeadLetterQueue;

  constructor(scope: Construct, id: string, props: RelayProps) {
    super(scope, id);
    this.function = new ApiFunction(this, 'Function', {
      entry: 'lambdas/handlers/relay/relay.ts',
      timeout: Duration.seconds(30),
    });
    const fn = this.function.function;
    props.notifications.grantEnqueue(fn);
    this.failures = new DeadLetterQueue(this, 'Failures', {
      description: 'relay batches that failed for good (stream metadata: shard and sequence range)',
    });
    Validations.of(this.failures.queue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: 'This queue is itself the on-failure destination of the stream mapping; it is alarmed.',
    });
    fn.addEventSource(
      new DynamoEventSource(props.eventStore.eventsTable, {
        startingPosition: StartingPosition.TRIM_HORIZON,
        batchSize: 100,
        maxBatchingWindow: Duration.seconds(0),
        bisectBatchOnError: true,
        retryAttempts: props.retryAttempts ?? 5,
        maxRecordAge: props.maxRecordAge ?? Duration.hours(6),
        reportBatchItemFailures: true,
        parallelizationFactor: 1,
        // A raw object here would synthesize to `{}` (no filter): build it with FilterCriteria.filter.
        filters: [
          FilterCriteria.filter({
            eventName: FilterRule.isEqual('INSERT'),
            dynamodb: { NewImage: { type: { S: FilterRule.or(...RELAYED_EVENT_TYPES) } } },
          }),
        ],
        onFailure: new SqsDlq(this.failures.queue),
      }),
    );
  }
}
