import { describe, expect, it } from 'vitest';
import { approveRequest, cancelRequest, denyRequest, revokeRequest } from '../../../../functions/access/use-cases/requests.js';
import { awaitApproval, awaitExpiry, expireApproval, notifyApprovers } from '../../../../functions/access/use-cases/workflow-steps.js';
import { ARNS } from '../../../helpers/catalog.js';
import { testDeps } from '../../../helpers/memory.js';
import { activeRequest, caller, submit } from '../../../helpers/requests.js';

describe('awaitApproval', () => {
  it('stores the token and waits while the request is pending', async () => {
    // Prepare
    const deps = testDeps();
    const request = await submit(deps, 'alice');

    // Act
    const result = await awaitApproval(deps, request.id, 'approval-token');

    // Assess
    expect(result).toEqual({ armed: true });
    expect(deps.requests.stored(request.id)?.tokens.approval).toBe('approval-token');
    expect(deps.workflow.settledTokens).toEqual([]);
  });

  it('settles its own token when the approval landed before the token was stored', async () => {
    // Prepare: the approver is quicker than the state machine
    const deps = testDeps();
    const request = await submit(deps, 'alice');
    await approveRequest(deps, caller('bob'), request.id);

    // Act
    const result = await awaitApproval(deps, request.id, 'late-token');

    // Assess
    expect(result).toEqual({ armed: false });
    expect(deps.workflow.succeeded).toEqual([{ token: 'late-token', output: { decision: 'APPROVED' } }]);
  });

  it('fails its own token with RequestDenied when the denial came first', async () => {
    const deps = testDeps();
    const request = await submit(deps, 'alice');
    await denyRequest(deps, caller('bob'), request.id, 'freeze');

    await awaitApproval(deps, request.id, 'late-token');

    expect(deps.workflow.failed).toEqual([{ token: 'late-token', error: 'RequestDenied', cause: 'freeze' }]);
  });

  it('fails its own token with RequestCancelled when the cancel came first', async () => {
    const deps = testDeps();
    const request = await submit(deps, 'alice');
    await cancelRequest(deps, caller('alice'), request.id);

    await awaitApproval(deps, request.id, 'late-token');

    expect(deps.workflow.failed).toMatchObject([{ token: 'late-token', error: 'RequestCancelled' }]);
  });

  it('fails its own token with RequestClosed for any other closed request', async () => {
    const deps = testDeps();
    const request = await submit(deps, 'alice');
    await expireApproval(deps, request.id);

    await awaitApproval(deps, request.id, 'late-token');

    expect(deps.workflow.failed).toEqual([{ token: 'late-token', error: 'RequestClosed', cause: 'request is APPROVAL_EXPIRED' }]);
  });
});

describe('expireApproval', () => {
  it('expires a request nobody decided and tells the approvers', async () => {
    const deps = testDeps();
    const request = await submit(deps, 'alice');

    const result = await expireApproval(deps, request.id);

    expect(result).toEqual({ requestId: request.id, status: 'APPROVAL_EXPIRED' });
    expect(deps.notifier.messages.map((m) => m.message['type'])).toEqual(['ApprovalExpired']);
  });

  it('keeps an approval that won the race against the timeout', async () => {
    const deps = testDeps();
    const request = await submit(deps, 'alice');
    await approveRequest(deps, caller('bob'), request.id);

    const result = await expireApproval(deps, request.id);

    expect(result.status).toBe('APPROVED');
    expect(deps.audit.actions(request.id)).toEqual(['REQUESTED', 'APPROVED']);
  });
});

describe('notifyApprovers', () => {
  it('notifies every approver except the requester', async () => {
    // Prepare: carol (sre-lead) asks; only bob may approve
    const deps = testDeps();
    const request = await submit(deps, 'carol');

    // Act
    const result = await notifyApprovers(deps, request.id);

    // Assess
    expect(result).toEqual({ requestId: request.id, notified: 1 });
    expect(deps.notifier.messages[0]?.message).toMatchObject({ type: 'ApprovalRequested', approvers: [ARNS.bob] });
  });

  it('notifies nobody about a request that no longer waits', async () => {
    const deps = testDeps();
    const request = await submit(deps, 'alice');
    await cancelRequest(deps, caller('alice'), request.id);

    expect(await notifyApprovers(deps, request.id)).toEqual({ requestId: request.id, notified: 0 });
    expect(deps.notifier.messages).toEqual([]);
  });
});

describe('awaitExpiry', () => {
  it('waits while the grant is active and unrevoked', async () => {
    const deps = testDeps();
    const request = await activeRequest(deps);

    expect(await awaitExpiry(deps, request.id, 'expiry-token')).toEqual({ armed: true });
    expect(deps.requests.stored(request.id)?.tokens.expiry).toBe('expiry-token');
  });

  it('wakes at once when the revocation came before the wait', async () => {
    const deps = testDeps();
    const request = await activeRequest(deps);
    await revokeRequest(deps, caller('alice'), request.id);

    const result = await awaitExpiry(deps, request.id, 'expiry-token');

    expect(result).toEqual({ armed: false });
    expect(deps.workflow.succeeded).toContainEqual({ token: 'expiry-token', output: { signal: 'REVOKE' } });
  });

  it('wakes at once when the expiry already passed', async () => {
    const deps = testDeps();
    const request = await activeRequest(deps);
    deps.time.advance(request.durationSeconds);

    await awaitExpiry(deps, request.id, 'expiry-token');

    expect(deps.workflow.succeeded).toContainEqual({ token: 'expiry-token', output: { signal: 'EXPIRED' } });
  });
});
