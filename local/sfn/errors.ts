import {
  ExecutionAlreadyExists,
  ExecutionDoesNotExist,
  InvalidExecutionInput,
  InvalidName,
  InvalidOutput,
  InvalidToken,
  StateMachineDoesNotExist,
  TaskDoesNotExist,
  TaskTimedOut,
} from '@aws-sdk/client-sfn';

/** Base for faults of the local runtime itself; AWS API errors use the SDK's own classes instead. */
export class LocalStepFunctionsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LocalStepFunctionsError';
  }
}

/** A definition the runtime cannot run: invalid ASL, or Task states without a handler. */
export class DefinitionError extends LocalStepFunctionsError {
  constructor(message: string) {
    super(message);
    this.name = 'DefinitionError';
  }
}

/** An SFN command the local backend does not serve, so a call never silently reaches AWS. */
export class UnsupportedCommandError extends LocalStepFunctionsError {
  constructor(readonly commandName: string) {
    super(`Local Step Functions does not serve ${commandName}`);
    this.name = 'UnsupportedCommandError';
  }
}

export class RuntimeShutDownError extends LocalStepFunctionsError {
  constructor() {
    super('Local Step Functions has been shut down');
    this.name = 'RuntimeShutDownError';
  }
}

/**
 * The SDK's exception classes, so callers handle a local failure exactly like the AWS one
 * (`err.name === 'TaskDoesNotExist'`, `instanceof TaskDoesNotExist`).
 */
export const awsError = {
  executionAlreadyExists: (message: string) => new ExecutionAlreadyExists({ message, $metadata: {} }),
  executionDoesNotExist: (message: string) => new ExecutionDoesNotExist({ message, $metadata: {} }),
  invalidExecutionInput: (message: string) => new InvalidExecutionInput({ message, $metadata: {} }),
  invalidName: (message: string) => new InvalidName({ message, $metadata: {} }),
  invalidOutput: (message: string) => new InvalidOutput({ message, $metadata: {} }),
  invalidToken: (message: string) => new InvalidToken({ message, $metadata: {} }),
  stateMachineDoesNotExist: (message: string) => new StateMachineDoesNotExist({ message, $metadata: {} }),
  taskDoesNotExist: (message: string) => new TaskDoesNotExist({ message, $metadata: {} }),
  taskTimedOut: (message: string) => new TaskTimedOut({ message, $metadata: {} }),
};

/**
 * Errors thrown into the interpreter. It matches Retry/Catch on `name`, reports `message` as the
 * Cause, and reads the optional `isRetryable`/`isCatchable` flags.
 */
export function stateError(name: string, cause: string): Error {
  const error = new Error(cause);
  error.name = name;
  return error;
}

/** Like AWS's States.Runtime: fails the execution, no Retry or Catch can handle it. */
export class StatesRuntimeError extends Error {
  readonly isRetryable = false;
  readonly isCatchable = false;
  constructor(message: string) {
    super(message);
    this.name = 'States.Runtime';
  }
}

/** Rejects a state still running when its execution ended, unwinding the interpreter quietly. */
export class ExecutionEndedError extends Error {
  readonly isRetryable = false;
  readonly isCatchable = false;
  constructor() {
    super('The execution has ended');
    this.name = 'ExecutionEnded';
  }
}
