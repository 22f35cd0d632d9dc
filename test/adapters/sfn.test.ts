import 'aws-sdk-client-mock-vitest/extend';
import {
  ExecutionAlreadyExists,
  InvalidToken,
  SFNClient,
  SendTaskFailureCommand,
  SendTaskSuccessCommand,
  StartExecutionCommand,
  StateMachineDoesNotExist,
  TaskDoesNotExist,
  TaskTimedOut,
} from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { SfnWorkflow } from '../../functions/access/adapters/sfn.js';

const sfnMock = mockClient(SFNClient);
const STATE_MACHINE = 'arn:aws:states:us-east-1:000000000000:stateMachine:grantline';
const workflow = new SfnWorkflow(new SFNClient({ region: 'us-east-1' }), STATE_MACHINE);
const input = { requestId: 'req-1', autoApproved: false, Payload: { requestId: 'req-1', remainingSeconds: 3600 } };
const meta = { $metadata: {} };

afterEach(() => {
  sfnMock.reset();
});

describe('SfnWorkflow.start', () => {
  it('starts one execution named after the request', async () => {
    sfnMock.on(StartExecutionCommand).resolves({ executionArn: 'x', startDate: new Date() });

    await workflow.start(input);

    expect(sfnMock).toHaveReceivedCommandWith(StartExecutionCommand, { stateMachineArn: STATE_MACHINE, name: 'req-1', input: JSON.stringify(input) });
  });

  it('ignores ExecutionAlreadyExists, so a retried start never makes a second execution', async () => {
    sfnMock.on(StartExecutionCommand).rejects(new ExecutionAlreadyExists({ message: 'exists', ...meta }));

    await expect(workflow.start(input)).resolves.toBeUndefined();
  });

  it('throws any other error', async () => {
    sfnMock.on(StartExecutionCommand).rejects(new StateMachineDoesNotExist({ message: 'gone', ...meta }));

    await expect(workflow.start(input)).rejects.toMatchObject({ name: 'StateMachineDoesNotExist' });
  });
});

describe('SfnWorkflow settling tokens', () => {
  it('sends task success with the output as JSON', async () => {
    sfnMock.on(SendTaskSuccessCommand).resolves({});

    await workflow.succeed('tok', { decision: 'APPROVED' });

    expect(sfnMock).toHaveReceivedCommandWith(SendTaskSuccessCommand, { taskToken: 'tok', output: '{"decision":"APPROVED"}' });
  });

  it('sends task failure with the error name and a bounded cause', async () => {
    sfnMock.on(SendTaskFailureCommand).resolves({});

    await workflow.fail('tok', 'RequestDenied', 'x'.repeat(40_000));

    const sent = sfnMock.commandCalls(SendTaskFailureCommand)[0]!.args[0].input;
    expect(sent).toMatchObject({ taskToken: 'tok', error: 'RequestDenied' });
    expect(sent.cause).toHaveLength(32_000);
  });

  it.each([
    ['TaskDoesNotExist', () => new TaskDoesNotExist({ message: 'x', ...meta })],
    ['InvalidToken', () => new InvalidToken({ message: 'x', ...meta })],
    ['TaskTimedOut', () => new TaskTimedOut({ message: 'x', ...meta })],
  ])('ignores %s: the token was already settled or timed out', async (_name, error) => {
    sfnMock.on(SendTaskSuccessCommand).rejects(error()).on(SendTaskFailureCommand).rejects(error());

    await expect(workflow.succeed('tok', {})).resolves.toBeUndefined();
    await expect(workflow.fail('tok', 'E', 'c')).resolves.toBeUndefined();
  });

  it('throws other errors', async () => {
    sfnMock.on(SendTaskSuccessCommand).rejects(Object.assign(new Error('slow down'), { name: 'ThrottlingException' }));

    await expect(workflow.succeed('tok', {})).rejects.toMatchObject({ name: 'ThrottlingException' });
  });
});
