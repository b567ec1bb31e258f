import type { StateMachine } from 'aws-local-stepfunctions';

/** An entry of the library's execution event log. */
export type EventLog =
  ReturnType<StateMachine['run']>['eventLogs'] extends AsyncGenerator<infer E> ? E : never;

/** An event of `GetExecutionHistory`. */
export interface HistoryEvent {
  timestamp: number;
  type: string;
  id: number;
  previousEventId: number;
  [details: string]: unknown;
}

/** The `GetExecutionHistory` event of a library log entry; undefined for entries AWS does not show. */
export function historyEvent(log: EventLog): { type: string; details: Record<string, unknown> } | undefined {
  const json = (value: unknown) => JSON.stringify(value ?? null);
  switch (log.type) {
    case 'ExecutionStarted':
      return {
        type: 'ExecutionStarted',
        details: { executionStartedEventDetails: { input: json(log.input) } },
      };
    case 'ExecutionSucceeded':
      return {
        type: 'ExecutionSucceeded',
        details: { executionSucceededEventDetails: { output: json(log.output) } },
      };
    case 'ExecutionFailed':
      return {
        type: 'ExecutionFailed',
        details: { executionFailedEventDetails: { error: log.Error, cause: String(log.Cause ?? '') } },
      };
    case 'ExecutionAborted':
      return { type: 'ExecutionAborted', details: {} };
    case 'ExecutionTimeout':
      return { type: 'ExecutionTimedOut', details: {} };
    case 'StateEntered':
      return {
        type: `${log.state.type}StateEntered`,
        details: { stateEnteredEventDetails: { name: log.state.name, input: json(log.state.input) } },
      };
    case 'StateExited':
      return {
        type: `${log.state.type}StateExited`,
        details: { stateExitedEventDetails: { name: log.state.name, output: json(log.state.output) } },
      };
    case 'StateFailed':
      return log.state.type === 'Task'
        ? {
            type: 'TaskFailed',
            details: { taskFailedEventDetails: { error: log.Error, cause: String(log.Cause ?? '') } },
          }
        : undefined;
    case 'MapIterationStarted':
    case 'MapIterationSucceeded':
    case 'MapIterationFailed':
      return {
        type: log.type,
        details: { mapIterationEventDetails: { name: log.parentState.name, index: log.index } },
      };
    default:
      return undefined;
  }
}
