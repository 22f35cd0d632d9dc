import {
  DescribeExecutionCommand,
  ExecutionDoesNotExist,
  ListExecutionsCommand,
  ListStateMachinesCommand,
  SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { attachLocalStepFunctions, LocalStepFunctions, UnsupportedCommandError } from '../../../local/sfn/index.js';
import { STATE_MACHINE_ARN } from './support.js';

let runtime: LocalStepFunctions;
let sfn: SFNClient;

beforeEach(() => {
  runtime = new LocalStepFunctions({
    definitions: { [STATE_MACHINE_ARN]: { definition: { StartAt: 'Hold', States: { Hold: { Type: 'Wait', Seconds: 3600, End: true } } }, handlers: {} } },
  });
  // No region or credentials: a call that got past the middleware would fail differently.
  sfn = new SFNClient({});
  attachLocalStepFunctions(sfn, runtime);
});

afterEach(async () => {
  await runtime.shutdown();
  sfn.destroy();
});

describe('attachLocalStepFunctions', () => {
  it('serves the execution commands from the local runtime, with response metadata', async () => {
    // Act
    const started = await sfn.send(new StartExecutionCommand({ stateMachineArn: STATE_MACHINE_ARN, name: 'req-1', input: '{"a":1}' }));
    const described = await sfn.send(new DescribeExecutionCommand({ executionArn: started.executionArn }));
    await sfn.send(new StopExecutionCommand({ executionArn: started.executionArn }));
    const listed = await sfn.send(new ListExecutionsCommand({ stateMachineArn: STATE_MACHINE_ARN }));

    // Assess
    expect(started.$metadata.httpStatusCode).toBe(200);
    expect(started.startDate).toBeInstanceOf(Date);
    expect(described).toMatchObject({ executionArn: started.executionArn, name: 'req-1', status: 'RUNNING', input: '{"a":1}' });
    expect(listed.executions).toEqual([expect.objectContaining({ name: 'req-1', status: 'ABORTED' })]);
  });

  it('rejects with the SDK exception classes', async () => {
    // Act
    const missing = sfn.send(new DescribeExecutionCommand({ executionArn: 'arn:aws:states:us-east-1:123456789012:execution:Test:nope' }));

    // Assess
    await expect(missing).rejects.toBeInstanceOf(ExecutionDoesNotExist);
  });

  it('throws a named error for a command it does not serve instead of calling AWS', async () => {
    // Act
    const unsupported = sfn.send(new ListStateMachinesCommand({}));

    // Assess
    await expect(unsupported).rejects.toBeInstanceOf(UnsupportedCommandError);
    await expect(unsupported).rejects.toMatchObject({ name: 'UnsupportedCommandError', commandName: 'ListStateMachinesCommand' });
  });

  it('replaces itself when attached twice to the same client', async () => {
    // Prepare
    const other = new LocalStepFunctions({
      definitions: { [STATE_MACHINE_ARN]: { definition: { StartAt: 'Done', States: { Done: { Type: 'Pass', End: true } } }, handlers: {} } },
    });
    attachLocalStepFunctions(sfn, other);

    // Act
    const started = await sfn.send(new StartExecutionCommand({ stateMachineArn: STATE_MACHINE_ARN }));

    // Assess
    expect((await other.waitForExecution(started.executionArn as string)).status).toBe('SUCCEEDED');
    await expect(runtime.describeExecution({ executionArn: started.executionArn })).rejects.toBeInstanceOf(ExecutionDoesNotExist);
    await other.shutdown();
  });
});
