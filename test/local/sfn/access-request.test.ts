import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { LocalStepFunctions, substituteDefinition, type TaskHandler } from '../../../local/sfn/index.js';
import { ACCESS_REQUEST_ASL, ACCESS_REQUEST_TASKS } from '../../../statemachines/access-request.js';
import { collectUnhandledRejections, functionArn, STATE_MACHINE_ARN } from './support.js';

/** The project's own definition file, substituted the way CDK does, runs unchanged. */
const template = readFileSync(new URL(`../../../statemachines/${ACCESS_REQUEST_ASL}`, import.meta.url), 'utf8');
const definition = substituteDefinition(template, Object.fromEntries(ACCESS_REQUEST_TASKS.map((task) => [task.placeholder, functionArn(task.state)])));

const unhandled = collectUnhandledRejections();
let runtime: LocalStepFunctions;

function start(overrides: Record<string, TaskHandler>) {
  const handlers: Record<string, TaskHandler> = Object.fromEntries(ACCESS_REQUEST_TASKS.map((task) => [task.state, vi.fn(async () => ({}))]));
  runtime = new LocalStepFunctions({ definitions: { [STATE_MACHINE_ARN]: { definition, handlers: { ...handlers, ...overrides } } }, timeScale: 300 });
  return handlers;
}

afterEach(async () => {
  await runtime.shutdown();
  expect(unhandled).toEqual([]);
});

describe('the access-request state machine on the local runtime', () => {
  it('grants, waits until expiry (scaled) and revokes', async () => {
    // Prepare: 60 s of access at scale 300 → 200 ms
    const revoke = vi.fn(async () => ({ status: 'EXPIRED' }));
    start({
      Grant: async (event: { requestId: string }) => ({ requestId: event.requestId, outcome: 'GRANTED', status: 'ACTIVE', remainingSeconds: 60 }),
      Revoke: revoke,
    });

    // Act
    const { executionArn } = await runtime.startExecution({ stateMachineArn: STATE_MACHINE_ARN, name: 'req-1', input: JSON.stringify({ requestId: 'req-1', autoApproved: true }) });
    const result = await runtime.waitForExecution(executionArn);

    // Assess
    expect(result.status).toBe('SUCCEEDED');
    const output = JSON.parse(result.output ?? '');
    expect(output.timeout.Error).toBe('States.Timeout');
    expect(output.revoke).toEqual({ status: 'EXPIRED' });
    expect(revoke).toHaveBeenCalledWith({ requestId: 'req-1' }, expect.objectContaining({ stateName: 'Revoke' }));
  });

  it('closes the request when the approver denies it through the token', async () => {
    // Prepare
    const grant = vi.fn(async () => ({}));
    start({
      Grant: grant,
      AwaitApproval: async (event: { taskToken: string }) => {
        await runtime.sendTaskFailure({ taskToken: event.taskToken, error: 'RequestDenied', cause: 'not needed' });
      },
    });
    const input = { requestId: 'req-2', autoApproved: false, Payload: { requestId: 'req-2', remainingSeconds: 3600 } };

    // Act
    const { executionArn } = await runtime.startExecution({ stateMachineArn: STATE_MACHINE_ARN, input: JSON.stringify(input) });
    const result = await runtime.waitForExecution(executionArn);

    // Assess
    expect(result.status).toBe('SUCCEEDED');
    expect(JSON.parse(result.output ?? '').decision).toEqual({ Error: 'RequestDenied', Cause: 'not needed' });
    expect(grant).not.toHaveBeenCalled();
  });
});
