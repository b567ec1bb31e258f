import { type LedgerEvent, type StoredEvent, type StreamType, streamKey } from './events.ts';

/**
 * An aggregate declared as a value: its stream type, the events its stream holds, and a pure,
 * exhaustive `evolve` over only those events. `reducerVersion` stamps its snapshots: bump it when
 * the state's shape or meaning changes, so older snapshots are ignored.
 */
export interface Aggregate<S, E extends LedgerEvent> {
  readonly streamType: StreamType;
  /** The event types its stream holds; anything else read from the stream is a broken invariant. */
  readonly eventTypes: ReadonlySet<string>;
  /** The state before the stream's first event: the aggregate does not exist yet. */
  readonly initialState: S | null;
  readonly evolve: (state: S | null, event: StoredEvent<E>) => S;
  readonly reducerVersion: number;
}

/** The set of an aggregate's event types, from a record the compiler checks is complete. */
export function eventTypes<E extends LedgerEvent>(
  types: Readonly<Record<E['type'], true>>,
): ReadonlySet<string> {
  return new Set(Object.keys(types));
}

/** An event reached a stream before the event that opens it: the stream is corrupt, never skip it. */
export class EventBeforeOpeningError extends Error {
  override readonly name = 'EventBeforeOpeningError';
  constructor(event: StoredEvent, options?: ErrorOptions) {
    super(
      `${event.type} at ${streamKey(event.stream)} v${event.version} precedes the stream's opening event`,
      options,
    );
  }
}

/** An event of another stream type was read from this stream: the stream is corrupt. */
export class ForeignEventError extends Error {
  override readonly name = 'ForeignEventError';
  constructor(event: StoredEvent, streamType: StreamType, options?: ErrorOptions) {
    super(`${event.type} at ${streamKey(event.stream)} does not belong to a ${streamType} stream`, options);
  }
}

/** The state an event applies to; an event before the opening one is an assertion failure. */
export function opened<S>(state: S | null, event: StoredEvent): S {
  if (state === null) throw new EventBeforeOpeningError(event);
  return state;
}

/** The store boundary: folds events as read from a stream, asserting each belongs to the aggregate. */
export function reducerOf<S, E extends LedgerEvent>(
  aggregate: Aggregate<S, E>,
): (state: S | null, event: StoredEvent) => S {
  return (state, event) => {
    if (!aggregate.eventTypes.has(event.type)) throw new ForeignEventError(event, aggregate.streamType);
    // The store boundary: the check above is what makes this event one of the aggregate's.
    return aggregate.evolve(state, event as StoredEvent<E>);
  };
}
