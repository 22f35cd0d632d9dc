import { describe, expect, it } from 'vitest';
import { verifyChain } from '../../../../functions/access/domain/audit-chain.js';
import { ConflictError, ForbiddenError, NotFoundError } from '../../../../functions/access/domain/errors.js';
import {
  approveRequest,
  cancelRequest,
  denyRequest,
  readAudit,
  readRequest,
  revokeRequest,
} from '../../../../functions/access/use-cases/requests.js';
import { awaitApproval, awaitExpiry } from '../../../../functions/access/use-cases/workflow-steps.js';
import { sdkError, testDeps } from '../../../helpers/memory.js';
import { activeRequest, caller, submit } from '../../../helpers/requests.js';

describe('approveRequest', () => {
  it('approves and settles the stored approval token', async () => {
    // Prepare
    const deps = testDeps();
    const request = await submit(deps, 'alice');
    await awaitApproval(deps, request.id, 'approval-token');

    // Act
    const approved = await approveRequest(deps, caller('bob'), request.id, 'go ahead');

    // Assess
    expect(approved.status).toBe('APPROVED');
    expect(deps.workflow.succeeded).toEqual([{ token: 'approval-token', output: { decision: 'APPROVED' } }]);
    expect(deps.audit.actions(request.id)).toEqual(['REQUESTED', 'APPROVED']);
  });

  it('does not settle the token until enough approvers agreed', async () => {
    // Prepare
    const deps = testDeps();
    const request = await submit(deps, 'alice', { entitlement: 'prod-admin', duration: '1h', justification: 'hotfix', ticket: 'OPS-7' });
    await awaitApproval(deps, request.id, 'approval-token');

    // Act
    const first = await approveRequest(deps, caller('bob'), request.id);
    const second = await approveRequest(deps, caller('carol'), request.id);

    // Assess
    expect(first.status).toBe('PENDING_APPROVAL');
    expect(second.status).toBe('APPROVED');
    expect(deps.workflow.succeeded).toHaveLength(1);
  });

  it('refuses an approval by the requester and records nothing', async () => {
    const deps = testDeps();
    const request = await submit(deps, 'carol', { entitlement: 'prod-read', duration: '2h', justification: 'own' });

    await expect(approveRequest(deps, caller('carol'), request.id)).rejects.toBeInstanceOf(ForbiddenError);

    expect(deps.audit.actions(request.id)).toEqual(['REQUESTED']);
  });

  it('answers 409 to a second approval of a decided request', async () => {
    const deps = testDeps();
    const request = await submit(deps, 'alice');
    await approveRequest(deps, caller('bob'), request.id);

    await expect(approveRequest(deps, caller('carol'), request.id)).rejects.toBeInstanceOf(ConflictError);
  });

  it('hides a request from a caller who may not see it', async () => {
    const deps = testDeps();
    const request = await submit(deps, 'alice');

    await expect(approveRequest(deps, caller('dave'), request.id)).rejects.toBeInstanceOf(NotFoundError);
  });

  it('answers 404 for an unknown request', async () => {
    await expect(approveRequest(testDeps(), caller('bob'), 'req-nope')).rejects.toBeInstanceOf(NotFoundError);
  });

  it.each(['TaskDoesNotExist', 'ServiceUnavailable'])('keeps the approval when settling the token fails with %s', async (name) => {
    // Prepare
    const deps = testDeps();
    const request = await submit(deps, 'alice');
    await awaitApproval(deps, request.id, 'approval-token');
    deps.workflow.settleError = sdkError(name);

    // Act
    const approved = await approveRequest(deps, caller('bob'), request.id);

    // Assess
    expect(approved.status).toBe('APPROVED');
    expect(deps.warnings.map((w) => w.message)).toContain('could not settle task token');
  });
});

describe('denyRequest and cancelRequest', () => {
  it('denies and fails the approval token with RequestDenied', async () => {
    const deps = testDeps();
    const request = await submit(deps, 'alice');
    await awaitApproval(deps, request.id, 'approval-token');

    const denied = await denyRequest(deps, caller('carol'), request.id, 'not now');

    expect(denied.status).toBe('DENIED');
    expect(deps.workflow.failed).toEqual([{ token: 'approval-token', error: 'RequestDenied', cause: 'not now' }]);
  });

  it('cancels and fails the approval token with RequestCancelled', async () => {
    const deps = testDeps();
    const request = await submit(deps, 'alice');
    await awaitApproval(deps, request.id, 'approval-token');

    const cancelled = await cancelRequest(deps, caller('alice'), request.id);

    expect(cancelled.status).toBe('CANCELLED');
    expect(deps.workflow.failed).toEqual([{ token: 'approval-token', error: 'RequestCancelled', cause: 'cancelled by the requester' }]);
  });

  it('refuses a cancel by an approver who is not the requester or an admin', async () => {
    const deps = testDeps();
    const request = await submit(deps, 'alice');

    await expect(cancelRequest(deps, caller('bob'), request.id)).rejects.toBeInstanceOf(ForbiddenError);
  });
});

describe('revokeRequest', () => {
  it('records the revocation and wakes the expiry wait', async () => {
    // Prepare
    const deps = testDeps();
    const request = await activeRequest(deps);
    await awaitExpiry(deps, request.id, 'expiry-token');

    // Act
    const revoked = await revokeRequest(deps, caller('alice'), request.id, 'done early');

    // Assess
    expect(revoked.status).toBe('ACTIVE');
    expect(revoked.revocation).toMatchObject({ by: caller('alice').arn, reason: 'done early' });
    expect(deps.workflow.succeeded).toEqual([{ token: 'expiry-token', output: { signal: 'REVOKE' } }]);
    expect(deps.audit.actions(request.id)).toEqual(['REQUESTED', 'GRANTED', 'REVOKE_REQUESTED']);
  });

  it('refuses a revoke by someone unrelated to the request', async () => {
    // Prepare: dave cannot see alice's request at all
    const deps = testDeps();
    const request = await activeRequest(deps);

    await expect(revokeRequest(deps, caller('dave'), request.id)).rejects.toBeInstanceOf(NotFoundError);
  });

  it('answers 409 to a revoke of a pending request', async () => {
    const deps = testDeps();
    const request = await submit(deps, 'alice');

    await expect(revokeRequest(deps, caller('alice'), request.id)).rejects.toBeInstanceOf(ConflictError);
  });
});

describe('readRequest and readAudit', () => {
  it('shows a request to its requester, its approvers and admins', async () => {
    const deps = testDeps();
    const request = await submit(deps, 'alice');

    for (const who of ['alice', 'bob', 'carol']) {
      expect((await readRequest(deps, caller(who), request.id)).id).toBe(request.id);
    }
    await expect(readRequest(deps, caller('dave'), request.id)).rejects.toBeInstanceOf(NotFoundError);
  });

  it('returns the audit trail with its verdict', async () => {
    const deps = testDeps();
    const request = await activeRequest(deps);

    const audit = await readAudit(deps, caller('alice'), request.id);

    expect(audit.verified).toBe(true);
    expect(audit.problems).toEqual([]);
    expect(audit.items.map((r) => r.seq)).toEqual([1, 2]);
    expect(verifyChain(audit.items).verified).toBe(true);
  });
});
