import './polyfill.js';
import { randomUUID } from 'node:crypto';
import { setImmediate as nextMacrotask } from 'node:timers/promises';
import type {
  DescribeExecutionInput,
  ExecutionListItem,
  ListExecutionsInput,
  ListExecutionsOutput,
  SendTaskFailureInput,
  SendTaskFailureOutput,
  SendTaskHeartbeatInput,
  SendTaskHeartbeatOutput,
  SendTaskSuccessInput,
  SendTaskSuccessOutput,
  StartExecutionInput,
  StopExecutionInput,
} from '@aws-sdk/client-sfn';
import { ExecutionError, type RunOptions, StateMachine, type StateMachineDefinition } from 'aws-local-stepfunctions';
import { type Cancel, setLongTimeout, TaskAttempt } from './attempt.js';
import { INPUT_KEY, LOCAL_KEY, parseDefinition, prepareDefinition, type Setting, type StateSpec, type TaskSpec, type WaitSpec } from './definition.js';
import { awsError, DefinitionError, ExecutionEndedError, LocalStepFunctionsError, RuntimeShutDownError, StatesRuntimeError, stateError } from './errors.js';
import { containsTaskTokenPlaceholder, insertTaskToken, isWellFormedTaskToken, mintTaskToken, TASK_TOKEN_PLACEHOLDER } from './task-token.js';
import { statesTimeoutError } from './timeout-error.js';
import type {
  ExecutionDescription,
  ExecutionEndEvent,
  ExecutionEndListener,
  LocalExecutionStatus,
  LocalStepFunctionsOptions,
  StateMachineRegistration,
  TaskContext,
  TaskHandler,
} from './types.js';

type LocalHandlers = NonNullable<NonNullable<RunOptions['overrides']>['taskResourceLocalHandlers']>;
type InterpreterInput = Parameters<StateMachine['run']>[0];
type Outcome = { readonly status: Exclude<LocalExecutionStatus, 'RUNNING'>; readonly output?: string; readonly error?: string; readonly cause?: string };

/** AWS's rule: 1-80 characters, no whitespace, brackets, wildcards, punctuation or control characters. */
const EXECUTION_NAME = /^[^\s<>{}[\]?*"#%\\^|~`$&,;:/\u0000-\u001f\u007f-\u009f]{1,80}$/u;
const DEFAULT_FAILURE_ERROR = 'States.TaskFailed';
const DEFAULT_PAGE_SIZE = 100;
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

interface RegisteredMachine {
  readonly arn: string;
  readonly name: string;
  readonly interpreter: StateMachine;
  readonly states: ReadonlyMap<string, StateSpec>;
  readonly handlers: Readonly<Record<string, TaskHandler>>;
  readonly timeoutSeconds?: number;
}

interface Execution {
  readonly executionArn: string;
  readonly machine: RegisteredMachine;
  readonly name: string;
  readonly input: string;
  readonly startDate: Date;
  status: LocalExecutionStatus;
  outcome?: Outcome;
  stopDate?: Date;
  /** Task and Wait states still running; rejected when the execution ends. */
  readonly attempts: Set<TaskAttempt>;
  abort: () => void;
  cancelTimeout?: Cancel;
  readonly ended: Promise<ExecutionDescription>;
  readonly resolveEnded: (description: ExecutionDescription) => void;
}

interface OpenTask {
  readonly attempt: TaskAttempt;
  timedOut: boolean;
  heartbeat?: () => void;
}

/**
 * Runs ASL definitions in-process with aws-local-stepfunctions and answers the Step Functions API
 * for them: every Task state runs a local handler chosen by state name, `.waitForTaskToken` tasks
 * wait for SendTaskSuccess/SendTaskFailure, and all waiting is time-scaled.
 */
export class LocalStepFunctions {
  readonly timeScale: number;
  readonly #now: () => Date;
  readonly #machines = new Map<string, RegisteredMachine>();
  readonly #executions = new Map<string, Execution>();
  readonly #openTasks = new Map<string, OpenTask>();
  /** Tokens no longer open, so a late send gets the error AWS would give. */
  readonly #closedTasks = new Map<string, 'timedOut' | 'closed'>();
  readonly #listeners = new Set<ExecutionEndListener>();
  #shutDown = false;

  constructor(options: LocalStepFunctionsOptions) {
    const timeScale = options.timeScale ?? 1;
    if (!Number.isFinite(timeScale) || timeScale <= 0) throw new LocalStepFunctionsError(`timeScale must be a positive number, got ${timeScale}`);
    this.timeScale = timeScale;
    this.#now = options.now ?? (() => new Date());
    for (const [arn, registration] of Object.entries(options.definitions)) {
      this.#machines.set(arn, registerMachine(arn, registration, timeScale));
    }
  }

  async startExecution(request: StartExecutionInput): Promise<{ executionArn: string; startDate: Date }> {
    this.#assertOpen();
    const machine = this.#machine(request.stateMachineArn);
    const name = request.name ?? randomUUID();
    if (!EXECUTION_NAME.test(name)) throw awsError.invalidName(`Invalid Execution Name: '${name}'`);
    const input = request.input ?? '{}';
    const parsedInput = parseJson(input, () => awsError.invalidExecutionInput('Invalid Execution Input: not JSON'));
    const executionArn = executionArnFor(machine.arn, name);
    const existing = this.#executions.get(executionArn);
    if (existing) {
      // AWS's idempotency: the same name and input while running return the running execution.
      if (existing.status === 'RUNNING' && existing.input === input) return { executionArn, startDate: existing.startDate };
      throw awsError.executionAlreadyExists(`Execution Already Exists: '${executionArn}'`);
    }
    const execution = this.#launch(machine, executionArn, name, input, parsedInput);
    return { executionArn, startDate: execution.startDate };
  }

  async sendTaskSuccess(request: SendTaskSuccessInput): Promise<SendTaskSuccessOutput> {
    const task = this.#openTask(request.taskToken);
    const output = parseJson(request.output, () => awsError.invalidOutput('Invalid Output: not JSON'));
    task.attempt.succeed(output);
    return {};
  }

  async sendTaskFailure(request: SendTaskFailureInput): Promise<SendTaskFailureOutput> {
    const task = this.#openTask(request.taskToken);
    task.attempt.fail(stateError(request.error ?? DEFAULT_FAILURE_ERROR, request.cause ?? ''));
    return {};
  }

  async sendTaskHeartbeat(request: SendTaskHeartbeatInput): Promise<SendTaskHeartbeatOutput> {
    this.#openTask(request.taskToken).heartbeat?.();
    return {};
  }

  async stopExecution(request: StopExecutionInput): Promise<{ stopDate: Date }> {
    const execution = this.#execution(request.executionArn);
    this.#terminate(execution, { status: 'ABORTED', ...optional('error', request.error), ...optional('cause', request.cause) });
    return { stopDate: execution.stopDate ?? new Date() };
  }

  async describeExecution(request: DescribeExecutionInput): Promise<ExecutionDescription> {
    return describe(this.#execution(request.executionArn));
  }

  /** Newest first, like AWS. */
  async listExecutions(request: ListExecutionsInput = {}): Promise<ListExecutionsOutput> {
    if (request.stateMachineArn !== undefined) this.#machine(request.stateMachineArn);
    const matching = [...this.#executions.values()]
      .filter((execution) => request.stateMachineArn === undefined || execution.machine.arn === request.stateMachineArn)
      .filter((execution) => request.statusFilter === undefined || execution.status === request.statusFilter)
      .reverse();
    const offset = request.nextToken === undefined ? 0 : Number.parseInt(request.nextToken, 10) || 0;
    const end = offset + (request.maxResults || DEFAULT_PAGE_SIZE);
    const executions = matching.slice(offset, end).map(listItem);
    return { executions, ...(end < matching.length && { nextToken: String(end) }) };
  }

  /** Resolves once the execution has ended, whatever the outcome. */
  async waitForExecution(executionArn: string): Promise<ExecutionDescription> {
    return this.#execution(executionArn).ended;
  }

  /** Called once per execution when it ends; returns an unsubscribe function. */
  onExecutionEnd(listener: ExecutionEndListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Aborts every running execution and clears every timer, so nothing is left pending. */
  async shutdown(): Promise<void> {
    this.#shutDown = true;
    const executions = [...this.#executions.values()];
    for (const execution of executions) {
      this.#terminate(execution, { status: 'ABORTED', error: 'LocalShutdown', cause: 'The local Step Functions runtime was shut down' });
    }
    await Promise.all(executions.map((execution) => execution.ended));
    // Lets the interpreter unwind the rejected states and clear its own timers.
    await nextMacrotask();
  }

  #launch(machine: RegisteredMachine, executionArn: string, name: string, input: string, parsedInput: unknown): Execution {
    let resolveEnded!: (description: ExecutionDescription) => void;
    const ended = new Promise<ExecutionDescription>((resolve) => {
      resolveEnded = resolve;
    });
    const execution: Execution = {
      executionArn,
      machine,
      name,
      input,
      startDate: new Date(),
      status: 'RUNNING',
      attempts: new Set(),
      abort: () => undefined,
      ended,
      resolveEnded,
    };
    this.#executions.set(executionArn, execution);

    const handlers: LocalHandlers = {};
    for (const spec of machine.states.values()) {
      handlers[spec.stateName] = (rendered) => this.#runState(execution, spec, rendered) as ReturnType<LocalHandlers[string]>;
    }
    const run = machine.interpreter.run(parsedInput as InterpreterInput, {
      overrides: { taskResourceLocalHandlers: handlers },
      context: {
        Execution: { Id: executionArn, Name: name },
        StateMachine: { Id: machine.arn, Name: machine.name },
        Task: { Token: TASK_TOKEN_PLACEHOLDER },
      },
    });
    execution.abort = run.abort;
    // The first state runs inside run(); a handler there may already have stopped the execution.
    if (execution.status !== 'RUNNING') run.abort();
    if (machine.timeoutSeconds !== undefined) {
      execution.cancelTimeout = setLongTimeout(
        () => this.#terminate(execution, { status: 'TIMED_OUT', error: 'States.Timeout', cause: 'The execution ran longer than its TimeoutSeconds' }),
        this.#scaledMs(machine.timeoutSeconds),
      );
    }
    run.result.then(
      (output) => this.#end(execution, { status: 'SUCCEEDED', output: JSON.stringify(output) }),
      (error: unknown) => this.#end(execution, failureOutcome(error)),
    );
    return execution;
  }

  /** The local override of one Task or Wait state: its promise is the state's result, settled once. */
  #runState(execution: Execution, spec: StateSpec, rendered: unknown): Promise<unknown> {
    if (execution.status !== 'RUNNING') return Promise.reject(new ExecutionEndedError());
    const attempt = new TaskAttempt();
    execution.attempts.add(attempt);
    attempt.onSettled(() => execution.attempts.delete(attempt));
    try {
      if (spec.kind === 'wait') this.#startWait(attempt, spec, rendered);
      else this.#startTask(execution, attempt, spec, rendered);
    } catch (error) {
      attempt.fail(error);
    }
    return attempt.promise;
  }

  #startWait(attempt: TaskAttempt, spec: WaitSpec, rendered: unknown): void {
    const local = localSettings(rendered);
    let ms = 0;
    if (spec.seconds) {
      const seconds = settingValue(spec.seconds, local, 'seconds');
      if (!Number.isInteger(seconds) || (seconds as number) < 0) throw new StatesRuntimeError(`${spec.stateName}: Wait seconds must be an integer >= 0, got ${JSON.stringify(seconds)}`);
      ms = (seconds as number) * 1000;
    } else if (spec.timestamp) {
      const timestamp = settingValue(spec.timestamp, local, 'timestamp');
      if (typeof timestamp !== 'string' || !RFC3339.test(timestamp)) throw new StatesRuntimeError(`${spec.stateName}: Wait timestamp must be RFC 3339, got ${JSON.stringify(timestamp)}`);
      ms = Math.max(0, Date.parse(timestamp) - this.#now().getTime());
    }
    const output = spec.carriesInput ? (rendered as Record<string, unknown>)[INPUT_KEY] : null;
    attempt.after(ms / this.timeScale, () => attempt.succeed(output));
  }

  #startTask(execution: Execution, attempt: TaskAttempt, spec: TaskSpec, rendered: unknown): void {
    const local = localSettings(rendered);
    const input = spec.wrapped ? (rendered as Record<string, unknown>)[INPUT_KEY] : rendered;
    const timeoutSeconds = spec.timeoutSeconds && positiveSeconds(spec, 'timeoutSeconds', settingValue(spec.timeoutSeconds, local, 'timeoutSeconds'));
    const lambdaInvoke = spec.lambda === 'invoke' && isRecord(input) && 'FunctionName' in input;
    // Lambda receives `{}` when the integration sends no Payload.
    const event = lambdaInvoke ? ('Payload' in input ? input.Payload : {}) : input;
    const handler = execution.machine.handlers[spec.stateName] as TaskHandler;
    const context: TaskContext = { stateName: spec.stateName, executionArn: execution.executionArn, stateMachineArn: execution.machine.arn };

    if (!spec.callback) {
      if (containsTaskTokenPlaceholder(event)) throw new StatesRuntimeError(`${spec.stateName}: $$.Task.Token exists only in .waitForTaskToken tasks`);
      if (timeoutSeconds) attempt.after(this.#scaledMs(timeoutSeconds), () => attempt.fail(statesTimeoutError('States.Timeout')));
      invoke(handler, event, context).then(
        (result) => attempt.succeed(lambdaInvoke ? { ExecutedVersion: '$LATEST', Payload: toJson(result), StatusCode: 200 } : toJson(result)),
        (error: unknown) => attempt.fail(taskFailure(error, spec)),
      );
      return;
    }

    const heartbeatSeconds = spec.heartbeatSeconds && positiveSeconds(spec, 'heartbeatSeconds', settingValue(spec.heartbeatSeconds, local, 'heartbeatSeconds'));
    const token = mintTaskToken(execution.executionArn, spec.stateName);
    const task: OpenTask = { attempt, timedOut: false };
    const timeOut = (name: 'States.Timeout' | 'States.HeartbeatTimeout') => {
      task.timedOut = true;
      attempt.fail(statesTimeoutError(name));
    };
    // Registered before the handler runs, so a token the handler settles at once is never lost.
    this.#openTasks.set(token, task);
    attempt.onSettled(() => {
      this.#openTasks.delete(token);
      this.#closedTasks.set(token, task.timedOut ? 'timedOut' : 'closed');
    });
    if (timeoutSeconds) attempt.after(this.#scaledMs(timeoutSeconds), () => timeOut('States.Timeout'));
    if (heartbeatSeconds) {
      let cancelHeartbeat = attempt.after(this.#scaledMs(heartbeatSeconds), () => timeOut('States.HeartbeatTimeout'));
      task.heartbeat = () => {
        cancelHeartbeat();
        cancelHeartbeat = attempt.after(this.#scaledMs(heartbeatSeconds), () => timeOut('States.HeartbeatTimeout'));
      };
    }
    // The handler's result is not the task's result; only a failed invocation fails the task.
    invoke(handler, insertTaskToken(event, token), { ...context, taskToken: token }).then(undefined, (error: unknown) => attempt.fail(taskFailure(error, spec)));
  }

  #terminate(execution: Execution, outcome: Outcome): void {
    if (execution.status !== 'RUNNING') return;
    this.#end(execution, outcome);
    // Ends the interpreter's own pauses (Retry intervals) and any Map/Parallel branches.
    execution.abort();
  }

  #end(execution: Execution, outcome: Outcome): void {
    if (execution.status !== 'RUNNING') return;
    execution.status = outcome.status;
    execution.outcome = outcome;
    execution.stopDate = new Date();
    execution.cancelTimeout?.();
    for (const attempt of execution.attempts) attempt.fail(new ExecutionEndedError());
    const description = describe(execution);
    execution.resolveEnded(description);
    for (const listener of this.#listeners) notify(listener, description as ExecutionEndEvent);
  }

  #openTask(token: string | undefined): OpenTask {
    if (!isWellFormedTaskToken(token)) throw awsError.invalidToken('Invalid Token');
    const task = this.#openTasks.get(token);
    if (task) return task;
    if (this.#closedTasks.get(token) === 'timedOut') throw awsError.taskTimedOut('Task Timed Out');
    throw awsError.taskDoesNotExist('Task Does Not Exist: the task was already closed or never existed');
  }

  #machine(stateMachineArn: string | undefined): RegisteredMachine {
    const machine = stateMachineArn === undefined ? undefined : this.#machines.get(stateMachineArn);
    if (!machine) throw awsError.stateMachineDoesNotExist(`State Machine Does Not Exist: '${stateMachineArn}'`);
    return machine;
  }

  #execution(executionArn: string | undefined): Execution {
    const execution = executionArn === undefined ? undefined : this.#executions.get(executionArn);
    if (!execution) throw awsError.executionDoesNotExist(`Execution Does Not Exist: '${executionArn}'`);
    return execution;
  }

  #assertOpen(): void {
    if (this.#shutDown) throw new RuntimeShutDownError();
  }

  #scaledMs(seconds: number): number {
    return (seconds * 1000) / this.timeScale;
  }
}

function registerMachine(arn: string, registration: StateMachineRegistration, timeScale: number): RegisteredMachine {
  const definition = parseDefinition(registration.definition);
  try {
    // Validates the definition as written; the prepared one is not plain ASL any more.
    new StateMachine(definition as unknown as StateMachineDefinition);
  } catch (error) {
    throw new DefinitionError(`${arn}: ${(error as Error).message}`);
  }
  const prepared = prepareDefinition(definition, timeScale);
  const taskStates = [...prepared.states.values()].filter((spec) => spec.kind === 'task').map((spec) => spec.stateName);
  const missing = taskStates.filter((state) => typeof registration.handlers[state] !== 'function');
  const unknown = Object.keys(registration.handlers).filter((state) => !taskStates.includes(state));
  if (missing.length > 0) throw new DefinitionError(`${arn}: no handler for Task state(s) ${missing.join(', ')}`);
  if (unknown.length > 0) throw new DefinitionError(`${arn}: handler(s) for ${unknown.join(', ')}, which are not Task states`);
  return {
    arn,
    name: arn.split(':').at(-1) ?? arn,
    interpreter: new StateMachine(prepared.definition as unknown as StateMachineDefinition, { validationOptions: { noValidate: true } }),
    states: prepared.states,
    handlers: registration.handlers,
    ...(prepared.timeoutSeconds !== undefined && { timeoutSeconds: prepared.timeoutSeconds }),
  };
}

function executionArnFor(stateMachineArn: string, name: string): string {
  return stateMachineArn.includes(':stateMachine:') ? `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}` : `${stateMachineArn}:${name}`;
}

function describe(execution: Execution): ExecutionDescription {
  const outcome = execution.outcome;
  return {
    executionArn: execution.executionArn,
    stateMachineArn: execution.machine.arn,
    name: execution.name,
    status: execution.status,
    startDate: execution.startDate,
    ...(execution.stopDate && { stopDate: execution.stopDate }),
    input: execution.input,
    ...optional('output', outcome?.output),
    ...optional('error', outcome?.error),
    ...optional('cause', outcome?.cause),
  };
}

function listItem(execution: Execution): ExecutionListItem {
  return {
    executionArn: execution.executionArn,
    stateMachineArn: execution.machine.arn,
    name: execution.name,
    status: execution.status,
    startDate: execution.startDate,
    ...(execution.stopDate && { stopDate: execution.stopDate }),
  };
}

function failureOutcome(error: unknown): Outcome {
  // The interpreter wraps the state's error; its name and message are the ASL Error and Cause.
  const cause = error instanceof ExecutionError && error.cause instanceof Error ? error.cause : error;
  if (cause instanceof Error) return { status: 'FAILED', error: cause.name, ...optional('cause', cause.message || undefined) };
  return { status: 'FAILED', error: 'Error', cause: String(cause) };
}

/**
 * A failed Lambda reports its error type as the ASL Error and the Lambda error payload as the
 * Cause, as AWS does; other targets report the message as the Cause.
 */
function taskFailure(error: unknown, spec: TaskSpec): Error {
  const name = error instanceof Error ? error.name : 'Error';
  const message = error instanceof Error ? error.message : String(error);
  if (!spec.lambda) return stateError(name, message);
  const trace = error instanceof Error && error.stack ? error.stack.split('\n') : [];
  return stateError(name, JSON.stringify({ errorType: name, errorMessage: message, trace }));
}

/** Runs the handler after the interpreter's call returns, like an invocation, and turns a synchronous throw into a rejection. */
function invoke(handler: TaskHandler, event: unknown, context: TaskContext): Promise<unknown> {
  return Promise.resolve().then(() => handler(event, context));
}

function notify(listener: ExecutionEndListener, event: ExecutionEndEvent): void {
  const report = (error: unknown) => process.emitWarning(`onExecutionEnd listener failed: ${(error as Error)?.stack ?? String(error)}`, 'LocalStepFunctionsWarning');
  try {
    Promise.resolve(listener(event)).catch(report);
  } catch (error) {
    report(error);
  }
}

/** Path-valued settings as the interpreter rendered them; only read for settings that have a path. */
function localSettings(rendered: unknown): Record<string, unknown> {
  const local = isRecord(rendered) ? rendered[LOCAL_KEY] : undefined;
  return isRecord(local) ? local : {};
}

function settingValue(setting: Setting<unknown>, local: Record<string, unknown>, key: string): unknown {
  return 'value' in setting ? setting.value : local[key];
}

function positiveSeconds(spec: TaskSpec, key: string, value: unknown): number {
  if (!Number.isInteger(value) || (value as number) < 1) throw new StatesRuntimeError(`${spec.stateName}: ${key} must be an integer >= 1, got ${JSON.stringify(value)}`);
  return value as number;
}

function parseJson(text: string | undefined, invalid: () => Error): unknown {
  if (text === undefined) throw invalid();
  try {
    return JSON.parse(text);
  } catch {
    throw invalid();
  }
}

/** Results cross a JSON boundary in AWS: undefined becomes null, Dates become strings. */
function toJson(value: unknown): unknown {
  const text = JSON.stringify(value);
  return text === undefined ? null : JSON.parse(text);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}
