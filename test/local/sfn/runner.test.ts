import { ExecutionAlreadyExists, ExecutionDoesNotExist, StateMachineDoesNotExist } from '@aws-sdk/client-sfn';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DefinitionError, type ExecutionEndEvent, LocalStepFunctions, type TaskHandler } from '../../../local/sfn/index.js';
import { collectUnhandledRejections, lambdaInvoke, namedError, STATE_MACHINE_ARN } from './support.js';

const unhandled = collectUnhandledRejections();
let runtime: LocalStepFunctions | undefined;

function start(definition: object, handlers: Record<string, TaskHandler>, options: { timeScale?: number; now?: () => Date } = {}) {
  runtime = new LocalStepFunctions({ definitions: { [STATE_MACHINE_ARN]: { definition, handlers } }, ...options });
  return runtime;
}

async function run(local: LocalStepFunctions, input: unknown = {}) {
  const { executionArn } = await local.startExecution({ stateMachineArn: STATE_MACHINE_ARN, input: JSON.stringify(input) });
  return local.waitForExecution(executionArn);
}

afterEach(async () => {
  await runtime?.shutdown();
  runtime = undefined;
  expect(unhandled).toEqual([]);
});

describe('LocalStepFunctions with lambda:invoke tasks', () => {
  const chain = {
    StartAt: 'LoadRequest',
    States: {
      LoadRequest: lambdaInvoke('load', { ResultPath: '$.loaded', Next: 'ApplyGrant' }),
      ApplyGrant: lambdaInvoke('grant', {
        Parameters: { FunctionName: 'arn:aws:lambda:us-east-1:123456789012:function:grant', Payload: { 'requestId.$': '$.loaded.Payload.requestId' } },
        ResultSelector: { 'grantId.$': '$.Payload.grantId' },
        ResultPath: '$.grant',
        Retry: [{ ErrorEquals: ['IamTransientError'], IntervalSeconds: 2, MaxAttempts: 2, BackoffRate: 2 }],
        Catch: [{ ErrorEquals: ['GrantRejected'], ResultPath: '$.error', Next: 'RecordFailure' }],
        End: true,
      }),
      RecordFailure: { Type: 'Pass', End: true },
    },
  };

  it('passes only the Payload to the handler and returns the Lambda integration shape', async () => {
    // Prepare
    const load = vi.fn(async (event: { requestId: string }) => ({ requestId: event.requestId, at: new Date(0) }));
    const grant = vi.fn(async () => ({ grantId: 'g-1' }));
    const local = start(chain, { LoadRequest: load, ApplyGrant: grant });

    // Act
    const result = await run(local, { requestId: 'r-1' });

    // Assess
    expect(result.status).toBe('SUCCEEDED');
    expect(load).toHaveBeenCalledWith({ requestId: 'r-1' }, expect.objectContaining({ stateName: 'LoadRequest', executionArn: result.executionArn }));
    expect(grant).toHaveBeenCalledWith({ requestId: 'r-1' }, expect.anything());
    expect(JSON.parse(result.output ?? '')).toEqual({
      requestId: 'r-1',
      loaded: { ExecutedVersion: '$LATEST', StatusCode: 200, Payload: { requestId: 'r-1', at: '1970-01-01T00:00:00.000Z' } },
      grant: { grantId: 'g-1' },
    });
  });

  it('retries a named error with the Retry intervals divided by the time scale', async () => {
    // Prepare: 2 s then 4 s of backoff, at scale 20 → 100 ms then 200 ms
    let calls = 0;
    const local = start(
      chain,
      {
        LoadRequest: async () => ({ requestId: 'r-1' }),
        ApplyGrant: async () => {
          calls += 1;
          if (calls < 3) throw namedError('IamTransientError', 'throttled');
          return { grantId: 'g-2' };
        },
      },
      { timeScale: 20 },
    );
    const started = Date.now();

    // Act
    const result = await run(local);

    // Assess
    const elapsed = Date.now() - started;
    expect(result.status).toBe('SUCCEEDED');
    expect(calls).toBe(3);
    expect(elapsed).toBeGreaterThanOrEqual(280);
    expect(elapsed).toBeLessThan(2_000);
  });

  it('routes a handler error to the Catch for its name, with the Lambda error as Cause', async () => {
    // Prepare
    const local = start(chain, {
      LoadRequest: async () => ({ requestId: 'r-1' }),
      ApplyGrant: async () => {
        throw namedError('GrantRejected', 'policy not allowed');
      },
    });

    // Act
    const result = await run(local);

    // Assess
    expect(result.status).toBe('SUCCEEDED');
    const output = JSON.parse(result.output ?? '');
    expect(output.error.Error).toBe('GrantRejected');
    expect(JSON.parse(output.error.Cause)).toMatchObject({ errorType: 'GrantRejected', errorMessage: 'policy not allowed' });
  });

  it('fails the execution with the error name and cause when nothing catches it', async () => {
    // Prepare
    const local = start(chain, {
      LoadRequest: async () => {
        throw namedError('CatalogMissing', 'no catalog');
      },
      ApplyGrant: async () => ({}),
    });

    // Act
    const result = await run(local);

    // Assess
    expect(result).toMatchObject({ status: 'FAILED', error: 'CatalogMissing' });
    expect(JSON.parse(result.cause ?? '')).toMatchObject({ errorType: 'CatalogMissing', errorMessage: 'no catalog' });
    expect(result.stopDate).toBeInstanceOf(Date);
    expect(result.output).toBeUndefined();
  });

  it('refuses $$.Task.Token in a task that is not a callback, as AWS does', async () => {
    // Prepare
    const handler = vi.fn(async () => ({}));
    const local = start(
      { StartAt: 'Notify', States: { Notify: lambdaInvoke('notify', { Parameters: { FunctionName: 'f', Payload: { 'token.$': '$$.Task.Token' } }, End: true }) } },
      { Notify: handler },
    );

    // Act
    const result = await run(local);

    // Assess
    expect(result).toMatchObject({ status: 'FAILED', error: 'States.Runtime' });
    expect(handler).not.toHaveBeenCalled();
  });

  it('exposes the execution and state machine in the context object', async () => {
    // Prepare
    const local = start(
      { StartAt: 'Who', States: { Who: { Type: 'Pass', Parameters: { 'id.$': '$$.Execution.Id', 'name.$': '$$.Execution.Name', 'machine.$': '$$.StateMachine.Id' }, End: true } } },
      {},
    );

    // Act
    const { executionArn } = await local.startExecution({ stateMachineArn: STATE_MACHINE_ARN, name: 'req-7' });
    const result = await local.waitForExecution(executionArn);

    // Assess
    expect(executionArn).toBe('arn:aws:states:us-east-1:123456789012:execution:Test:req-7');
    expect(JSON.parse(result.output ?? '')).toEqual({ id: executionArn, name: 'req-7', machine: STATE_MACHINE_ARN });
  });
});

describe('LocalStepFunctions timeouts', () => {
  it('times out a task after its TimeoutSeconds divided by the time scale, and States.TaskFailed does not catch it', async () => {
    // Prepare: 30 s at scale 300 → 100 ms
    const local = start(
      {
        StartAt: 'Slow',
        States: {
          Slow: lambdaInvoke('slow', {
            TimeoutSeconds: 30,
            Catch: [
              { ErrorEquals: ['States.TaskFailed'], ResultPath: '$.caught', Next: 'WrongCatch' },
              { ErrorEquals: ['States.Timeout'], ResultPath: '$.caught', Next: 'TimedOut' },
            ],
            End: true,
          }),
          WrongCatch: { Type: 'Fail', Error: 'WrongCatch' },
          TimedOut: { Type: 'Succeed' },
        },
      },
      { Slow: () => new Promise(() => undefined) },
      { timeScale: 300 },
    );
    const started = Date.now();

    // Act
    const result = await run(local);

    // Assess
    expect(result.status).toBe('SUCCEEDED');
    expect(JSON.parse(result.output ?? '').caught.Error).toBe('States.Timeout');
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('ends an execution that outlives its own TimeoutSeconds as TIMED_OUT', async () => {
    // Prepare: 60 s at scale 600 → 100 ms
    const local = start(
      { TimeoutSeconds: 60, StartAt: 'Pause', States: { Pause: { Type: 'Wait', Seconds: 3600, End: true } } },
      {},
      { timeScale: 600 },
    );

    // Act
    const result = await run(local);

    // Assess
    expect(result.status).toBe('TIMED_OUT');
  });
});

describe('LocalStepFunctions Choice and Wait states', () => {
  const waitByChoice = {
    StartAt: 'NeedsWait',
    States: {
      NeedsWait: { Type: 'Choice', Choices: [{ Variable: '$.delaySeconds', NumericGreaterThan: 0, Next: 'Pause' }], Default: 'Done' },
      Pause: { Type: 'Wait', SecondsPath: '$.delaySeconds', Next: 'Done' },
      Done: { Type: 'Pass', End: true },
    },
  };

  it('waits SecondsPath divided by the time scale and keeps the state data unchanged', async () => {
    // Prepare: 60 s at scale 300 → 200 ms
    const local = start(waitByChoice, {}, { timeScale: 300 });
    const started = Date.now();

    // Act
    const result = await run(local, { delaySeconds: 60, requestId: 'r-1' });

    // Assess
    const elapsed = Date.now() - started;
    expect(result.status).toBe('SUCCEEDED');
    expect(JSON.parse(result.output ?? '')).toEqual({ delaySeconds: 60, requestId: 'r-1' });
    expect(elapsed).toBeGreaterThanOrEqual(190);
    expect(elapsed).toBeLessThan(1_500);
  });

  it('skips the Wait when the Choice takes the default branch', async () => {
    // Prepare
    const local = start(waitByChoice, {}, { timeScale: 1 });
    const started = Date.now();

    // Act
    const result = await run(local, { delaySeconds: 0 });

    // Assess
    expect(result.status).toBe('SUCCEEDED');
    expect(Date.now() - started).toBeLessThan(500);
  });

  it('measures a TimestampPath against the supplied clock, scaled', async () => {
    // Prepare: the local clock is 10 min ahead of the wall clock; the target is 60 s after it
    const skewMs = 600_000;
    const local = start(
      { StartAt: 'Until', States: { Until: { Type: 'Wait', TimestampPath: '$.at', InputPath: '$.keep', End: true } } },
      {},
      { timeScale: 300, now: () => new Date(Date.now() + skewMs) },
    );
    const at = new Date(Date.now() + skewMs + 60_000).toISOString();
    const started = Date.now();

    // Act
    const result = await run(local, { other: true, keep: { at, id: 1 } });

    // Assess
    const elapsed = Date.now() - started;
    expect(result.status).toBe('SUCCEEDED');
    expect(JSON.parse(result.output ?? '')).toEqual({ at, id: 1 });
    expect(elapsed).toBeGreaterThanOrEqual(150);
    expect(elapsed).toBeLessThan(1_500);
  });

  it('fails with States.Runtime when SecondsPath is not a non-negative integer', async () => {
    // Prepare
    const local = start(waitByChoice, {});

    // Act
    const result = await run(local, { delaySeconds: 1.5 });

    // Assess
    expect(result).toMatchObject({ status: 'FAILED', error: 'States.Runtime' });
  });
});

describe('LocalStepFunctions executions', () => {
  const blocked = { StartAt: 'Hold', States: { Hold: { Type: 'Wait', Seconds: 3600, End: true } } };

  it('returns the running execution for a second start with the same name and input', async () => {
    // Prepare
    const local = start(blocked, {});
    const request = { stateMachineArn: STATE_MACHINE_ARN, name: 'req-1', input: '{"a":1}' };
    const first = await local.startExecution(request);

    // Act
    const second = await local.startExecution(request);

    // Assess
    expect(second).toEqual(first);
    expect((await local.listExecutions({ stateMachineArn: STATE_MACHINE_ARN })).executions).toHaveLength(1);
  });

  it('refuses the same name with a different input, or once the execution ended', async () => {
    // Prepare
    const local = start(blocked, {});
    const { executionArn } = await local.startExecution({ stateMachineArn: STATE_MACHINE_ARN, name: 'req-2', input: '{"a":1}' });

    // Act
    const differentInput = local.startExecution({ stateMachineArn: STATE_MACHINE_ARN, name: 'req-2', input: '{"a":2}' });
    await local.stopExecution({ executionArn });
    const afterEnd = local.startExecution({ stateMachineArn: STATE_MACHINE_ARN, name: 'req-2', input: '{"a":1}' });

    // Assess
    await expect(differentInput).rejects.toBeInstanceOf(ExecutionAlreadyExists);
    await expect(afterEnd).rejects.toMatchObject({ name: 'ExecutionAlreadyExists' });
  });

  it('describes a running execution as RUNNING and a stopped one as ABORTED with the given error', async () => {
    // Prepare
    const local = start(blocked, {});
    const { executionArn, startDate } = await local.startExecution({ stateMachineArn: STATE_MACHINE_ARN, input: '{}' });
    const running = await local.describeExecution({ executionArn });

    // Act
    await local.stopExecution({ executionArn, error: 'Cancelled', cause: 'by the requester' });

    // Assess
    expect(running).toMatchObject({ status: 'RUNNING', startDate, input: '{}' });
    expect(running.stopDate).toBeUndefined();
    expect(await local.describeExecution({ executionArn })).toMatchObject({ status: 'ABORTED', error: 'Cancelled', cause: 'by the requester' });
  });

  it('reports a Fail state as FAILED with its Error and Cause', async () => {
    // Prepare
    const local = start({ StartAt: 'Broken', States: { Broken: { Type: 'Fail', Error: 'GrantFailed', Cause: 'cleaned up' } } }, {});

    // Act
    const result = await run(local);

    // Assess
    expect(result).toMatchObject({ status: 'FAILED', error: 'GrantFailed', cause: 'cleaned up' });
  });

  it('tells end listeners about every execution outcome', async () => {
    // Prepare
    const local = start({ StartAt: 'Done', States: { Done: { Type: 'Pass', End: true } } }, {});
    const events: ExecutionEndEvent[] = [];
    const unsubscribe = local.onExecutionEnd((event) => {
      events.push(event);
    });

    // Act
    const result = await run(local, { requestId: 'r-9' });
    unsubscribe();
    await run(local, { requestId: 'r-10' });

    // Assess
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ executionArn: result.executionArn, stateMachineArn: STATE_MACHINE_ARN, status: 'SUCCEEDED', input: '{"requestId":"r-9"}' });
  });

  it('lists executions newest first, filtered by status and paged', async () => {
    // Prepare
    const local = start(blocked, {});
    const first = await local.startExecution({ stateMachineArn: STATE_MACHINE_ARN, name: 'one' });
    await local.startExecution({ stateMachineArn: STATE_MACHINE_ARN, name: 'two' });
    await local.startExecution({ stateMachineArn: STATE_MACHINE_ARN, name: 'three' });
    await local.stopExecution({ executionArn: first.executionArn });

    // Act
    const running = await local.listExecutions({ stateMachineArn: STATE_MACHINE_ARN, statusFilter: 'RUNNING' });
    const page = await local.listExecutions({ stateMachineArn: STATE_MACHINE_ARN, maxResults: 2 });
    const rest = await local.listExecutions({ stateMachineArn: STATE_MACHINE_ARN, maxResults: 2, nextToken: page.nextToken });

    // Assess
    expect(running.executions?.map((item) => item.name)).toEqual(['three', 'two']);
    expect(page.executions?.map((item) => item.name)).toEqual(['three', 'two']);
    expect(rest.executions?.map((item) => [item.name, item.status])).toEqual([['one', 'ABORTED']]);
    expect(rest.nextToken).toBeUndefined();
  });

  it('answers unknown state machines and executions with the AWS errors', async () => {
    // Prepare
    const local = start(blocked, {});

    // Act
    const unknownMachine = local.startExecution({ stateMachineArn: `${STATE_MACHINE_ARN}-x` });
    const unknownExecution = local.describeExecution({ executionArn: 'arn:aws:states:us-east-1:123456789012:execution:Test:nope' });

    // Assess
    await expect(unknownMachine).rejects.toBeInstanceOf(StateMachineDoesNotExist);
    await expect(unknownExecution).rejects.toBeInstanceOf(ExecutionDoesNotExist);
    await expect(local.startExecution({ stateMachineArn: STATE_MACHINE_ARN, input: 'not json' })).rejects.toMatchObject({ name: 'InvalidExecutionInput' });
    await expect(local.startExecution({ stateMachineArn: STATE_MACHINE_ARN, name: 'has space' })).rejects.toMatchObject({ name: 'InvalidName' });
  });
});

describe('LocalStepFunctions Map and Parallel states', () => {
  it('runs the handlers of Task states nested in Map and Parallel by state name', async () => {
    // Prepare
    const local = start(
      {
        StartAt: 'EachPolicy',
        States: {
          EachPolicy: {
            Type: 'Map',
            ItemsPath: '$.policies',
            ItemProcessor: { StartAt: 'Attach', States: { Attach: lambdaInvoke('attach', { OutputPath: '$.Payload', End: true }) } },
            ResultPath: '$.attached',
            Next: 'Verify',
          },
          Verify: {
            Type: 'Parallel',
            Branches: [{ StartAt: 'Simulate', States: { Simulate: lambdaInvoke('simulate', { OutputPath: '$.Payload', End: true }) } }],
            ResultPath: '$.verdicts',
            End: true,
          },
        },
      },
      {
        Attach: async (policy: string) => `attached ${policy}`,
        Simulate: async (input: { attached: string[] }) => ({ allowed: input.attached.length }),
      },
    );

    // Act
    const result = await run(local, { policies: ['a', 'b'] });

    // Assess
    expect(JSON.parse(result.output ?? '')).toEqual({ policies: ['a', 'b'], attached: ['attached a', 'attached b'], verdicts: [{ allowed: 2 }] });
  });

  it('closes the token of a Parallel branch whose sibling failed once the execution ends', async () => {
    // Prepare
    let token = '';
    const local = start(
      {
        StartAt: 'Both',
        States: {
          Both: {
            Type: 'Parallel',
            Branches: [
              { StartAt: 'Fails', States: { Fails: lambdaInvoke('fails', { End: true }) } },
              {
                StartAt: 'Waits',
                States: {
                  Waits: {
                    Type: 'Task',
                    Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
                    Parameters: { FunctionName: 'f', Payload: { 'token.$': '$$.Task.Token' } },
                    TimeoutSeconds: 3600,
                    End: true,
                  },
                },
              },
            ],
            Catch: [{ ErrorEquals: ['States.ALL'], Next: 'Recovered' }],
            End: true,
          },
          Recovered: { Type: 'Succeed' },
        },
      },
      {
        Fails: async () => {
          await new Promise((resolve) => setTimeout(resolve, 20));
          throw namedError('Broken', 'branch failed');
        },
        Waits: async (event: { token: string }) => {
          token = event.token;
        },
      },
    );

    // Act
    const result = await run(local);

    // Assess
    expect(result.status).toBe('SUCCEEDED');
    await expect(local.sendTaskSuccess({ taskToken: token, output: '{}' })).rejects.toMatchObject({ name: 'TaskDoesNotExist' });
  });
});

describe('LocalStepFunctions after an execution ends', () => {
  it('ignores a handler that rejects after its execution was stopped, without an unhandled rejection', async () => {
    // Prepare
    let rejectLater!: (error: Error) => void;
    const local = start(
      { StartAt: 'Slow', States: { Slow: lambdaInvoke('slow', { Retry: [{ ErrorEquals: ['States.ALL'], IntervalSeconds: 1 }], End: true }) } },
      { Slow: () => new Promise((_, reject) => (rejectLater = reject)) },
    );
    const { executionArn } = await local.startExecution({ stateMachineArn: STATE_MACHINE_ARN });
    await new Promise((resolve) => setImmediate(resolve));

    // Act
    await local.stopExecution({ executionArn });
    rejectLater(namedError('Boom', 'too late'));
    await new Promise((resolve) => setTimeout(resolve, 50));

    // Assess
    expect(await local.describeExecution({ executionArn })).toMatchObject({ status: 'ABORTED' });
  });
});

describe('LocalStepFunctions definitions', () => {
  it('refuses a definition with a Task state that has no handler', () => {
    // Act
    const create = () => start({ StartAt: 'Grant', States: { Grant: lambdaInvoke('grant', { End: true }) } }, {});

    // Assess
    expect(create).toThrow(DefinitionError);
    expect(create).toThrow(/no handler for Task state\(s\) Grant/);
  });

  it('refuses a handler for a state that is not a Task', () => {
    // Act
    const create = () => start({ StartAt: 'Done', States: { Done: { Type: 'Pass', End: true } } }, { Grnat: async () => ({}) });

    // Assess
    expect(create).toThrow(/Grnat, which are not Task states/);
  });

  it('refuses invalid ASL', () => {
    // Act
    const create = () => start({ StartAt: 'Missing', States: { Done: { Type: 'Pass', End: true } } }, {});

    // Assess
    expect(create).toThrow(DefinitionError);
  });
});
