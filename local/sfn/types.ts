export interface TaskContext {
  readonly stateName: string;
  readonly executionArn: string;
  readonly stateMachineArn: string;
  /** Set for `.waitForTaskToken` tasks: the token SendTaskSuccess/SendTaskFailure must quote. */
  readonly taskToken?: string;
}

/**
 * The local stand-in for what a Task state calls. `input` is what that target would receive: the
 * Lambda event (the rendered `Payload`) for lambda:invoke, otherwise the rendered Parameters. It
 * is `any` so a handler can declare its own event type. Throwing an Error fails the task with the
 * error's `name`, which the ASL's Retry/Catch match.
 */
export type TaskHandler = (input: any, ctx: TaskContext) => Promise<unknown>;

export interface StateMachineRegistration {
  /** ASL JSON text after `${Placeholder}` substitution, or the parsed object. */
  readonly definition: string | object;
  /** One handler per Task state, by state name. */
  readonly handlers: Readonly<Record<string, TaskHandler>>;
}

export interface LocalStepFunctionsOptions {
  /** By state machine ARN. */
  readonly definitions: Readonly<Record<string, StateMachineRegistration>>;
  /**
   * Runs time N times faster: Wait states, Task timeouts and heartbeats, Retry pauses and the
   * execution timeout take seconds/N. Data (e.g. `remainingSeconds`) is left unchanged.
   */
  readonly timeScale?: number;
  /**
   * The time Wait Timestamp/TimestampPath are measured against. Local mode passes its scaled
   * clock, whose timestamps run ahead of the wall clock. Defaults to the wall clock.
   */
  readonly now?: () => Date;
}

export type LocalExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

/** The fields of the SDK's DescribeExecutionOutput the local runtime fills in. */
export interface ExecutionDescription {
  readonly executionArn: string;
  readonly stateMachineArn: string;
  readonly name: string;
  readonly status: LocalExecutionStatus;
  readonly startDate: Date;
  readonly stopDate?: Date;
  readonly input: string;
  readonly output?: string;
  readonly error?: string;
  readonly cause?: string;
}

/** What an EventBridge "Step Functions Execution Status Change" event would carry. */
export interface ExecutionEndEvent extends ExecutionDescription {
  readonly status: Exclude<LocalExecutionStatus, 'RUNNING'>;
  readonly stopDate: Date;
}

export type ExecutionEndListener = (event: ExecutionEndEvent) => void | Promise<void>;
