import {
  DescribeExecutionCommand,
  InvalidToken,
  SendTaskFailureCommand,
  SendTaskHeartbeatCommand,
  SendTaskSuccessCommand,
  SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
  TaskDoesNotExist,
  TaskTimedOut,
} from '@aws-sdk/client-sfn';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { attachLocalStepFunctions, LocalStepFunctions, type TaskContext, type TaskHandler } from '../../../local/sfn/index.js';
import { collectUnhandledRejections, functionArn, loadFixture, settle, STATE_MACHINE_ARN } from './support.js';

interface AwaitSignalEvent {
  readonly requestId: string;
  readonly remainingSeconds: number;
  readonly taskToken: string;
}

const unhandled = collectUnhandledRejections();
const definition = loadFixture('await-signal.asl.json', { AwaitSignalFunctionArn: functionArn('await-signal') });

let runtime: LocalStepFunctions;
let sfn: SFNClient;
let calls: Array<{ event: AwaitSignalEvent; ctx: TaskContext }>;

/** The callback handler under test stores the token; tests settle it through the SDK. */
function setUp(options: { timeScale?: number; awaitSignal?: TaskHandler; definitionOverride?: object } = {}) {
  runtime = new LocalStepFunctions({
    definitions: {
      [STATE_MACHINE_ARN]: {
        definition: options.definitionOverride ?? definition,
        handlers: {
          AwaitSignal:
            options.awaitSignal ??
            (async (event: AwaitSignalEvent, ctx: TaskContext) => {
              calls.push({ event, ctx });
              return { stored: true };
            }),
        },
      },
    },
    timeScale: options.timeScale ?? 1,
  });
  sfn = new SFNClient({ region: 'us-east-1' });
  attachLocalStepFunctions(sfn, runtime);
}

async function startAndAwaitToken(input: object = { requestId: 'r-1', remainingSeconds: 3600 }) {
  const { executionArn } = await sfn.send(new StartExecutionCommand({ stateMachineArn: STATE_MACHINE_ARN, input: JSON.stringify(input) }));
  await waitUntil(() => calls.length > 0);
  return { executionArn: executionArn as string, token: (calls[0] as { event: AwaitSignalEvent }).event.taskToken };
}

async function waitUntil(condition: () => boolean): Promise<void> {
  while (!condition()) await settle();
}

async function outputOf(executionArn: string) {
  const result = await runtime.waitForExecution(executionArn);
  return { ...result, data: result.output === undefined ? undefined : JSON.parse(result.output) };
}

beforeEach(() => {
  calls = [];
});

afterEach(async () => {
  vi.useRealTimers();
  await runtime.shutdown();
  sfn.destroy();
  expect(unhandled).toEqual([]);
});

describe('.waitForTaskToken tasks', () => {
  it('hands the handler a fresh token in the payload and in its context', async () => {
    // Prepare
    setUp();

    // Act
    const { executionArn, token } = await startAndAwaitToken();

    // Assess
    const [call] = calls;
    expect(call?.event).toEqual({ requestId: 'r-1', remainingSeconds: 3600, taskToken: expect.any(String) });
    expect(call?.ctx).toEqual({ stateName: 'AwaitSignal', executionArn, stateMachineArn: STATE_MACHINE_ARN, taskToken: token });
    expect(token).not.toContain('Task.Token');
  });

  it('continues with the output of SendTaskSuccess sent through a real SFNClient', async () => {
    // Prepare
    setUp();
    const { executionArn, token } = await startAndAwaitToken();

    // Act
    await sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: JSON.stringify({ decision: 'APPROVED', by: 'alice' }) }));

    // Assess
    const result = await outputOf(executionArn);
    expect(result.status).toBe('SUCCEEDED');
    expect(result.data).toEqual({ outcome: 'SIGNALLED', signal: { decision: 'APPROVED', by: 'alice' } });
    const described = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    expect(described.status).toBe('SUCCEEDED');
  });

  it('routes SendTaskFailure with error RequestDenied to the Catch for that name', async () => {
    // Prepare
    setUp();
    const { executionArn, token } = await startAndAwaitToken();

    // Act
    await sfn.send(new SendTaskFailureCommand({ taskToken: token, error: 'RequestDenied', cause: 'denied by bob' }));

    // Assess
    const result = await outputOf(executionArn);
    expect(result.data).toEqual({ outcome: 'DENIED', denial: { Error: 'RequestDenied', Cause: 'denied by bob' } });
  });

  it('keeps a token the handler settles before it returns', async () => {
    // Prepare: like the approval step finding the decision already in the log
    setUp({
      awaitSignal: async (event: AwaitSignalEvent) => {
        await sfn.send(new SendTaskSuccessCommand({ taskToken: event.taskToken, output: '{"decision":"ALREADY_DECIDED"}' }));
        return { settledEarly: true };
      },
    });

    // Act
    const { executionArn } = await sfn.send(new StartExecutionCommand({ stateMachineArn: STATE_MACHINE_ARN, input: '{"requestId":"r-1","remainingSeconds":3600}' }));

    // Assess
    const result = await outputOf(executionArn as string);
    expect(result.data).toEqual({ outcome: 'SIGNALLED', signal: { decision: 'ALREADY_DECIDED' } });
  });

  it('fails the task with the handler error when the callback invocation itself fails', async () => {
    // Prepare
    setUp({
      awaitSignal: async () => {
        const error = new Error('request vanished');
        error.name = 'RequestDenied';
        throw error;
      },
    });

    // Act
    const { executionArn } = await runtime.startExecution({ stateMachineArn: STATE_MACHINE_ARN, input: '{"requestId":"r-1","remainingSeconds":3600}' });

    // Assess
    const result = await outputOf(executionArn);
    expect(result.data.outcome).toBe('DENIED');
    expect(JSON.parse(result.data.denial.Cause)).toMatchObject({ errorType: 'RequestDenied', errorMessage: 'request vanished' });
  });

  it('times out after TimeoutSecondsPath divided by the time scale and takes the States.Timeout Catch', async () => {
    // Prepare: 120 s at scale 120 → about 1 s
    setUp({ timeScale: 120 });
    const started = Date.now();
    const { executionArn, token } = await startAndAwaitToken({ requestId: 'r-1', remainingSeconds: 120 });

    // Act
    const result = await outputOf(executionArn);

    // Assess
    const elapsed = Date.now() - started;
    expect(result.data).toEqual({ outcome: 'EXPIRED', timeout: { Error: 'States.Timeout', Cause: expect.any(String) } });
    expect(elapsed).toBeGreaterThanOrEqual(950);
    expect(elapsed).toBeLessThan(3_000);
    await expect(sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: '{}' }))).rejects.toBeInstanceOf(TaskTimedOut);
  });

  it('resolves TimeoutSecondsPath against the state input even when Parameters leave the field out', async () => {
    // Prepare: the library alone would look for $.deadline.seconds in the rendered Parameters
    setUp({
      timeScale: 100,
      definitionOverride: {
        StartAt: 'AwaitSignal',
        States: {
          AwaitSignal: {
            Type: 'Task',
            Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
            Parameters: { FunctionName: functionArn('await-signal'), Payload: { 'taskToken.$': '$$.Task.Token' } },
            TimeoutSecondsPath: '$.deadline.seconds',
            Catch: [{ ErrorEquals: ['States.Timeout'], Next: 'Expired' }],
            End: true,
          },
          Expired: { Type: 'Pass', Result: 'EXPIRED', End: true },
        },
      },
    });

    // Act
    const { executionArn } = await startAndAwaitToken({ deadline: { seconds: 20 } });

    // Assess
    expect((await outputOf(executionArn)).data).toBe('EXPIRED');
  });

  it('answers a token settled twice with TaskDoesNotExist and a malformed one with InvalidToken', async () => {
    // Prepare
    setUp();
    const { executionArn, token } = await startAndAwaitToken();
    await sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: '{}' }));

    // Act
    const second = sfn.send(new SendTaskFailureCommand({ taskToken: token, error: 'RequestDenied' }));
    const malformed = sfn.send(new SendTaskSuccessCommand({ taskToken: 'not a token', output: '{}' }));

    // Assess
    await expect(second).rejects.toBeInstanceOf(TaskDoesNotExist);
    await expect(malformed).rejects.toBeInstanceOf(InvalidToken);
    expect((await outputOf(executionArn)).status).toBe('SUCCEEDED');
  });

  it('refuses output that is not JSON and leaves the task open', async () => {
    // Prepare
    setUp();
    const { executionArn, token } = await startAndAwaitToken();

    // Act
    const invalid = sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: '{nope' }));

    // Assess
    await expect(invalid).rejects.toMatchObject({ name: 'InvalidOutput' });
    await sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: '"late but fine"' }));
    expect((await outputOf(executionArn)).data).toEqual({ outcome: 'SIGNALLED', signal: 'late but fine' });
  });
});

describe('.waitForTaskToken heartbeats', () => {
  const withHeartbeat = {
    StartAt: 'AwaitSignal',
    States: {
      AwaitSignal: {
        Type: 'Task',
        Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
        Parameters: { FunctionName: functionArn('await-signal'), Payload: { 'taskToken.$': '$$.Task.Token' } },
        TimeoutSeconds: 3600,
        HeartbeatSeconds: 30,
        Catch: [{ ErrorEquals: ['States.Timeout'], ResultPath: '$.timeout', Next: 'Lost' }],
        End: true,
      },
      Lost: { Type: 'Pass', End: true },
    },
  };

  it('times out a silent task after HeartbeatSeconds, caught by States.Timeout', async () => {
    // Prepare: 30 s at scale 300 → 100 ms
    setUp({ timeScale: 300, definitionOverride: withHeartbeat });

    // Act
    const { executionArn } = await startAndAwaitToken({});

    // Assess
    expect((await outputOf(executionArn)).data).toEqual({ timeout: { Error: 'States.HeartbeatTimeout', Cause: expect.any(String) } });
  });

  it('keeps a task alive while heartbeats arrive', async () => {
    // Prepare
    setUp({ timeScale: 300, definitionOverride: withHeartbeat });
    const { executionArn, token } = await startAndAwaitToken({});

    // Act: five heartbeats 50 ms apart cover 250 ms, well past one 100 ms heartbeat window
    for (let beat = 0; beat < 5; beat += 1) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      await sfn.send(new SendTaskHeartbeatCommand({ taskToken: token }));
    }
    await sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: '{"alive":true}' }));

    // Assess
    expect((await outputOf(executionArn)).data).toEqual({ alive: true });
  });
});

describe('stopping and shutting down', () => {
  it('aborts an execution waiting on a token, closes the token and leaves no rejection behind', async () => {
    // Prepare
    setUp();
    const { executionArn, token } = await startAndAwaitToken();

    // Act
    await sfn.send(new StopExecutionCommand({ executionArn, error: 'RequestCancelled', cause: 'requester cancelled' }));
    await settle();

    // Assess
    expect(await runtime.describeExecution({ executionArn })).toMatchObject({ status: 'ABORTED', error: 'RequestCancelled', cause: 'requester cancelled' });
    await expect(runtime.sendTaskSuccess({ taskToken: token, output: '{}' })).rejects.toBeInstanceOf(TaskDoesNotExist);
  });

  it('leaves no timer pending after shutdown, whatever was still waiting', async () => {
    // Prepare: fake timers count exactly the timers created here (a token with a long timeout, a long Wait)
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    setUp();
    const waiting = await startAndAwaitToken();
    const sleeper = new LocalStepFunctions({
      definitions: { [STATE_MACHINE_ARN]: { definition: { StartAt: 'Nap', States: { Nap: { Type: 'Wait', Seconds: 86_400, End: true } } }, handlers: {} } },
    });
    const napping = await sleeper.startExecution({ stateMachineArn: STATE_MACHINE_ARN });
    await settle();
    expect(vi.getTimerCount()).toBeGreaterThanOrEqual(3);

    // Act
    await runtime.shutdown();
    await sleeper.shutdown();

    // Assess
    expect(vi.getTimerCount()).toBe(0);
    expect((await runtime.describeExecution({ executionArn: waiting.executionArn })).status).toBe('ABORTED');
    expect((await sleeper.describeExecution(napping)).status).toBe('ABORTED');
    await expect(runtime.startExecution({ stateMachineArn: STATE_MACHINE_ARN })).rejects.toMatchObject({ name: 'RuntimeShutDownError' });
  });
});
