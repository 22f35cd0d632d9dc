import { beforeEach, describe, expect, it } from 'vitest';
import { planGrant } from '../../../functions/access/domain/grant-plan.js';
import type { GrantSpec } from '../../../functions/catalog/schema.js';
import { ExecutionStatusChangeEvent } from '../../../functions/monitoring/schemas/execution.js';
import { onExecutionEnded } from '../../../functions/monitoring/use-cases/execution-ended.js';
import { ARNS, POLICIES } from '../../helpers/catalog.js';
import { iamObjectKey } from '../../helpers/memory.js';
import { fixture, monitoringTestDeps, type MonitoringTestDeps, seedRequest, type SeedOptions } from './helpers.js';

const READ_ONLY: GrantSpec = { type: 'managed-policy', policyArn: POLICIES.readOnly };
const STATE_MACHINE = 'arn:aws:states:eu-central-1:000000000000:stateMachine:grantline-access';

let deps: MonitoringTestDeps;

type Detail = ExecutionStatusChangeEvent['detail'];

function ended(overrides: Partial<Detail> = {}): Detail {
  return { ...ExecutionStatusChangeEvent.parse(fixture('execution-failed.json')).detail, ...overrides };
}

const seed = (status: SeedOptions['status']) => seedRequest(deps, { id: 'req-0001', principal: ARNS.alice, grant: READ_ONLY, entitlement: 'prod-read', status });

beforeEach(() => {
  deps = monitoringTestDeps();
});

describe('a workflow execution that ended without finishing its request', () => {
  it('marks an ACTIVE request REVOKE_FAILED and alerts', async () => {
    await seed('ACTIVE');

    const outcome = await onExecutionEnded(deps, ended(), { stateMachineArn: STATE_MACHINE });

    expect(outcome).toMatchObject({ requestId: 'req-0001', before: 'ACTIVE', after: 'REVOKE_FAILED', action: 'REVOKE_FAILED' });
    expect(deps.audit.records('req-0001').at(-1)).toMatchObject({
      action: 'REVOKE_FAILED',
      reason: 'Lambda.Unknown',
      detail: { executionArn: ended().executionArn, executionStatus: 'FAILED' },
      state: { status: 'REVOKE_FAILED', failure: { error: 'Lambda.Unknown' } },
    });
    expect(deps.alerts.messages).toEqual([expect.objectContaining({ subject: 'ALERT Grantline: revoke failed for req-0001', message: expect.objectContaining({ type: 'RevokeFailed' }) })]);
    expect((await deps.requests.get('req-0001'))?.request?.status).toBe('REVOKE_FAILED');
  });

  it('marks it once when the event is delivered twice', async () => {
    await seed('ACTIVE');

    await onExecutionEnded(deps, ended());
    const again = await onExecutionEnded(deps, ended());

    expect(again).toMatchObject({ action: 'NONE', before: 'REVOKE_FAILED' });
    expect(deps.audit.actions('req-0001')).toEqual(['REQUESTED', 'GRANTED', 'REVOKE_FAILED']);
    expect(deps.alerts.messages).toHaveLength(1);
  });

  it.each(['TIMED_OUT', 'ABORTED'])('names the ending when a %s execution gives no error', async (status) => {
    await seed('ACTIVE');

    await onExecutionEnded(deps, ended({ status, error: null, cause: null }));

    expect(deps.audit.records('req-0001').at(-1)).toMatchObject({ action: 'REVOKE_FAILED', reason: status === 'ABORTED' ? 'ExecutionAborted' : 'ExecutionTimedOut' });
  });

  it('cleans up and marks an APPROVED request GRANT_FAILED, once', async () => {
    const state = await seed('APPROVED');
    const change = planGrant(state, new Date(0).toISOString());
    deps.iam.objects.add(iamObjectKey(change));

    const outcome = await onExecutionEnded(deps, ended({ status: 'TIMED_OUT' }));
    await onExecutionEnded(deps, ended({ status: 'TIMED_OUT' }));

    expect(outcome).toMatchObject({ before: 'APPROVED', after: 'GRANT_FAILED', action: 'GRANT_FAILED' });
    expect(deps.iam.objects.size).toBe(0);
    expect(deps.audit.actions('req-0001')).toEqual(['REQUESTED', 'GRANT_FAILED']);
    expect(deps.alerts.messages.map((m) => m.message['type'])).toEqual(['GrantFailed']);
  });

  it('alerts on a PENDING_APPROVAL request and leaves it for the sweeper', async () => {
    await seed('PENDING_APPROVAL');

    const outcome = await onExecutionEnded(deps, ended({ status: 'ABORTED' }));

    expect(outcome).toMatchObject({ before: 'PENDING_APPROVAL', after: 'PENDING_APPROVAL', action: 'ALERTED' });
    expect(deps.audit.actions('req-0001')).toEqual(['REQUESTED']);
    expect(deps.alerts.messages[0]!.message).toMatchObject({ type: 'ExecutionEnded', requestId: 'req-0001', executionStatus: 'ABORTED' });
  });

  it('adds nothing to a request the workflow already marked REVOKE_FAILED', async () => {
    await seed('REVOKE_FAILED');

    const outcome = await onExecutionEnded(deps, ended({ error: 'RevokeFailed', cause: 'Revoke kept failing' }));

    expect(outcome.action).toBe('NONE');
    expect(deps.audit.actions('req-0001')).toEqual(['REQUESTED', 'GRANTED', 'REVOKE_FAILED']);
    expect(deps.alerts.messages).toHaveLength(0);
  });

  it("stays quiet about the workflow's own Fail states on finished requests", async () => {
    await seed('EXPIRED');

    await expect(onExecutionEnded(deps, ended({ error: 'GrantFailed' }))).resolves.toMatchObject({ action: 'NONE' });
    expect(deps.alerts.messages).toHaveLength(0);
  });

  it('alerts when a finished request’s execution failed unexpectedly', async () => {
    await seed('EXPIRED');

    await expect(onExecutionEnded(deps, ended())).resolves.toMatchObject({ action: 'ALERTED', before: 'EXPIRED' });
    expect(deps.audit.actions('req-0001')).toEqual(['REQUESTED', 'GRANTED', 'EXPIRED']);
  });

  it('alerts when the execution input names no request it can find', async () => {
    await expect(onExecutionEnded(deps, ended({ input: '{"hello":1}' }))).resolves.toMatchObject({ action: 'ALERTED', requestId: null });
    await expect(onExecutionEnded(deps, ended())).resolves.toMatchObject({ action: 'ALERTED', requestId: 'req-0001', before: null });
    expect(deps.alerts.messages).toHaveLength(2);
  });

  it('ignores other endings and other state machines', async () => {
    await seed('ACTIVE');

    await expect(onExecutionEnded(deps, ended({ status: 'SUCCEEDED' }))).resolves.toMatchObject({ action: 'NONE' });
    await expect(onExecutionEnded(deps, ended({ stateMachineArn: `${STATE_MACHINE}-other` }), { stateMachineArn: STATE_MACHINE })).resolves.toMatchObject({ action: 'NONE' });
    expect(deps.audit.actions('req-0001')).toEqual(['REQUESTED', 'GRANTED']);
  });
});
