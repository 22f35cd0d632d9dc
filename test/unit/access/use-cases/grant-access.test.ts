import { describe, expect, it } from 'vitest';
import { verifyChain } from '../../../../functions/access/domain/audit-chain.js';
import { IamPermanentError, IamTransientError } from '../../../../functions/access/domain/errors.js';
import { approveRequest, revokeRequest } from '../../../../functions/access/use-cases/requests.js';
import { grantAccess } from '../../../../functions/access/use-cases/workflow-steps.js';
import { POLICIES } from '../../../helpers/catalog.js';
import { testDeps } from '../../../helpers/memory.js';
import { AUTO_APPROVED, approvedRequest, caller, submit } from '../../../helpers/requests.js';

const READ_ONLY_KEY = `user/alice|policy|${POLICIES.readOnly}`;

describe('grantAccess', () => {
  it('attaches the policy and records ACTIVE with the expiry counted from now', async () => {
    // Prepare: approved at 10:00, granted at 10:20
    const deps = testDeps();
    const request = await approvedRequest(deps);
    deps.time.advance(20 * 60);

    // Act
    const outcome = await grantAccess(deps, request.id);

    // Assess
    expect(outcome).toEqual({ requestId: request.id, outcome: 'ACTIVE', status: 'ACTIVE', remainingSeconds: 7200 });
    expect(deps.iam.has(READ_ONLY_KEY)).toBe(true);
    const granted = deps.audit.records(request.id).at(-1)!;
    expect(granted.action).toBe('GRANTED');
    expect(granted.state).toMatchObject({ status: 'ACTIVE', grantedAt: '2030-01-15T10:20:00.000Z', expiresAt: '2030-01-15T12:20:00.000Z' });
    expect(granted.detail).toMatchObject({ changed: true, verified: true, iam: { kind: 'managed-policy', principalName: 'alice' } });
    expect(verifyChain(deps.audit.records(request.id)).verified).toBe(true);
  });

  it('puts a fenced inline policy named after the request', async () => {
    // Prepare
    const deps = testDeps();
    const request = await approvedRequest(deps, { entitlement: 'prod-admin', duration: '1h', justification: 'hotfix', ticket: 'OPS-1' });
    // prod-admin needs two approvers; bob approved in the helper, carol adds the second
    await approveRequest(deps, caller('carol'), request.id);

    // Act
    await grantAccess(deps, request.id);

    // Assess
    const put = deps.iam.inlineDocuments.get(`user/alice|inline|grantline-${request.id}`);
    expect(put?.kind === 'inline-policy' && put.document.Statement.map((s) => s.Condition?.['DateLessThan'])).toEqual([
      { 'aws:CurrentTime': '2030-01-15T11:00:00.000Z' },
      { 'aws:CurrentTime': '2030-01-15T11:00:00.000Z' },
    ]);
  });

  it('adds the user to the group of a group grant', async () => {
    const deps = testDeps();
    const request = await approvedRequest(deps, { entitlement: 'billing', duration: '1h', justification: 'invoices' });

    await grantAccess(deps, request.id);

    expect(deps.iam.has('user/alice|group|BillingReaders')).toBe(true);
  });

  it('is idempotent: a re-run reports the remaining time and changes nothing', async () => {
    // Prepare
    const deps = testDeps();
    const request = await submit(deps, 'alice', AUTO_APPROVED);
    await grantAccess(deps, request.id);
    deps.time.advance(600);
    const calls = deps.iam.calls.length;

    // Act
    const again = await grantAccess(deps, request.id);

    // Assess
    expect(again).toMatchObject({ outcome: 'ACTIVE', status: 'ACTIVE', remainingSeconds: 1200 });
    expect(deps.iam.calls).toHaveLength(calls);
    expect(deps.audit.actions(request.id)).toEqual(['REQUESTED', 'GRANTED']);
  });

  it('reports 0 seconds left when the expiry passed while the grant was retried', async () => {
    const deps = testDeps();
    const request = await submit(deps, 'alice', AUTO_APPROVED);
    await grantAccess(deps, request.id);
    deps.time.advance(3600);

    expect((await grantAccess(deps, request.id)).remainingSeconds).toBe(0);
  });

  it('skips the grant and records REVOKED when the revoke came first', async () => {
    // Prepare
    const deps = testDeps();
    const request = await submit(deps, 'alice', AUTO_APPROVED);
    await revokeRequest(deps, caller('alice'), request.id, 'not needed after all');

    // Act
    const outcome = await grantAccess(deps, request.id);

    // Assess
    expect(outcome).toEqual({ requestId: request.id, outcome: 'SKIPPED', status: 'REVOKED', remainingSeconds: 0 });
    expect(deps.iam.calls).toEqual([]);
    expect(deps.audit.records(request.id).at(-1)).toMatchObject({ action: 'REVOKED', detail: { granted: false } });
  });

  it('skips a request that was never approved', async () => {
    const deps = testDeps();
    const request = await submit(deps, 'alice');

    expect(await grantAccess(deps, request.id)).toMatchObject({ outcome: 'SKIPPED', status: 'PENDING_APPROVAL' });
    expect(deps.iam.calls).toEqual([]);
  });

  it('lets a transient IAM error through for the state machine to retry, recording nothing', async () => {
    // Prepare
    const deps = testDeps();
    const request = await submit(deps, 'alice', AUTO_APPROVED);
    deps.iam.failNext('apply', new IamTransientError('Throttling'));

    // Act
    const attempt = grantAccess(deps, request.id);

    // Assess
    await expect(attempt).rejects.toMatchObject({ name: 'IamTransientError' });
    expect(deps.audit.actions(request.id)).toEqual(['REQUESTED']);
  });

  it('succeeds on the retry after a transient error', async () => {
    const deps = testDeps();
    const request = await submit(deps, 'alice', AUTO_APPROVED);
    deps.iam.failNext('apply', new IamTransientError('Throttling'));
    await grantAccess(deps, request.id).catch(() => undefined);

    const outcome = await grantAccess(deps, request.id);

    expect(outcome.status).toBe('ACTIVE');
    expect(deps.audit.actions(request.id)).toEqual(['REQUESTED', 'GRANTED']);
  });

  it('fails with IamPermanentError when IAM does not show the grant afterwards', async () => {
    // Prepare
    const deps = testDeps();
    const request = await submit(deps, 'alice', AUTO_APPROVED);
    deps.iam.dropWrites = true;

    // Act
    const attempt = grantAccess(deps, request.id);

    // Assess
    await expect(attempt).rejects.toBeInstanceOf(IamPermanentError);
    await expect(attempt).rejects.toMatchObject({ name: 'IamPermanentError' });
    expect(deps.audit.actions(request.id)).toEqual(['REQUESTED']);
  });
});
