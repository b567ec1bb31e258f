/**
 * Given/when/then for pure decisions (after emmett's DeciderSpecification): given the events that
 * happened, when a command is decided, then these events, or this rejection. No ports, no store.
 */
import { expect } from 'vitest';
import type { Aggregate } from '../../lambdas/domain/aggregate.ts';
import type { LedgerEvent, StoredEvent, StreamRef } from '../../lambdas/domain/events.ts';
import { CURRENT_SCHEMA_VERSION } from '../../lambdas/domain/events.ts';

/** The instant every stamped event happened at. */
export const AT = '2026-01-01T00:00:00.000Z';

/** An event as the store would hand it back: the `version`-th of `stream`. */
export function stored<E extends LedgerEvent>(event: E, stream: StreamRef, version: number): StoredEvent<E> {
  const envelope = {
    tenantId: stream.tenantId,
    correlationId: 'corr-1',
    causationId: 'cause-1',
    actor: 'test',
    eventId: `evt_${version}`,
    schemaVersion: CURRENT_SCHEMA_VERSION[event.type],
    occurredAt: AT,
    stream,
    version,
  };
  return { ...event, ...envelope };
}

/** Folds events into one aggregate's state, stamped as consecutive versions of one stream. */
export function replay<S, E extends LedgerEvent>(
  aggregate: Aggregate<S, E>,
  events: readonly E[],
  id = 'x',
): S | null {
  const stream = { type: aggregate.streamType, tenantId: 'tenant-a', id };
  return events.reduce<S | null>(
    (state, event, index) => aggregate.evolve(state, stored(event, stream, index + 1)),
    aggregate.initialState,
  );
}

type ErrorClass = abstract new (...args: never[]) => Error;

export interface Decider<C, S, G> {
  /** Decides a command against the state; a rejection is thrown. */
  readonly decide: (command: C, state: S) => readonly LedgerEvent[];
  /** Builds the state the decision reads from what happened. */
  readonly evolve: (given: readonly G[]) => S;
}

/** `DeciderSpecification.for(decider).given([...]).when(command).then([...])` or `.thenThrows(Error, check)`. */
export const DeciderSpecification = {
  for<C, S, G>(decider: Decider<C, S, G>) {
    return {
      given(happened: readonly G[]) {
        return {
          when(command: C) {
            const run = () => decider.decide(command, decider.evolve(happened));
            return {
              // biome-ignore lint/suspicious/noThenProperty: the given/when/then form of STYLE.md; never awaited
              then(expected: readonly LedgerEvent[]): void {
                expect(run()).toEqual(expected);
              },
              thenNothing(): void {
                expect(run()).toEqual([]);
              },
              thenThrows<T extends Error>(errorClass: ErrorClass, check?: (error: T) => void): void {
                let thrown: unknown;
                try {
                  run();
                } catch (error) {
                  thrown = error;
                }
                expect(thrown).toBeInstanceOf(errorClass);
                if (thrown instanceof Error) check?.(thrown as T);
              },
            };
          },
        };
      },
    };
  },
};
