import './polyfill.js';
import { ExecutionError, StateMachine } from 'aws-local-stepfunctions';

type TimeoutErrorName = 'States.Timeout' | 'States.HeartbeatTimeout';

/**
 * The interpreter lets `States.TaskFailed` match any error except a timeout, which it recognises
 * by `instanceof` its own StatesTimeoutError, a class it does not export. The runtime's timeouts
 * must be instances of it, so the class is taken once from a probe execution that times out
 * after 1 ms (at import, before a test can install fake timers).
 */
async function captureStatesTimeoutError(): Promise<new () => Error> {
  const probe = new StateMachine(
    { StartAt: 'Probe', States: { Probe: { Type: 'Task', Resource: 'arn:aws:states:::local:probe', TimeoutSeconds: 0.001, End: true } } },
    { validationOptions: { noValidate: true } },
  );
  // A promise that never settles holds no timer, so the probe leaves nothing behind.
  const run = probe.run(null, { overrides: { taskResourceLocalHandlers: { Probe: () => new Promise(() => undefined) } } });
  try {
    await run.result;
  } catch (error) {
    if (error instanceof ExecutionError && error.cause instanceof Error && error.cause.name === 'States.Timeout') {
      return error.cause.constructor as new () => Error;
    }
  }
  // A later library version changed; timeouts still work, only `States.TaskFailed` would match them.
  return class StatesTimeoutError extends Error {};
}

const StatesTimeoutError = await captureStatesTimeoutError();

export function statesTimeoutError(name: TimeoutErrorName): Error {
  const error = new StatesTimeoutError();
  error.name = name;
  error.message = name === 'States.Timeout' ? 'The task timed out' : 'The task sent no heartbeat in time';
  return error;
}
