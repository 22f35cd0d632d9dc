export { attachLocalStepFunctions } from './middleware.js';
export { LocalStepFunctions } from './runner.js';
export { substituteDefinition } from './definition.js';
export { DefinitionError, LocalStepFunctionsError, RuntimeShutDownError, UnsupportedCommandError } from './errors.js';
export type {
  ExecutionDescription,
  ExecutionEndEvent,
  ExecutionEndListener,
  LocalExecutionStatus,
  LocalStepFunctionsOptions,
  StateMachineRegistration,
  TaskContext,
  TaskHandler,
} from './types.js';
