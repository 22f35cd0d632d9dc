import { describe, expect, it } from 'vitest';
import { verifyChain } from '../../../../functions/access/domain/audit-chain.js';
import { IamTransientError } from '../../../../functions/access/domain/errors.js';
import { revokeRequest } from '../../../../functions/access/use-cases/requests.js';
import {
  grantAccess,
  recordGrantFailure,
  recordRevokeFailure,
  revokeAccess,
} from '../../../../functions/access/use-cases/workflow-steps.js';
import { POLICIES } from '../../../helpers/catalog.js';
import { testDeps } from '../../../helpers/memory.js';
import { AUTO_APPROVED, activeRequest, approvedRequest, caller } from '../../../helpers/requests.js';

const READ_ONLY_KEY = `user/alice|policy|${POLICIES.readOnly}`;

describe('revokeAccess', () => {
  it('detaches at expiry and records EXPIRED', async () => {
    // Prepare
    const deps = testDeps();
    const request = await activeRequest(deps);
    deps.time.advance(request.durationSeconds);

    // Act
    const result = await revokeAccess(deps, request.id);

    // Assess
    expect(result).toEqual({ requestId: request.id, status: 'EXPIRED' });
    expect(deps.iam.has(READ_ONLY_KEY)).toBe(false);
    const last = deps.audit.records(request.id).at(-1)!;
    expect(last).toMatchObject({ action: 'EXPIRED', actor: 'grantline:system', detail: { removed: true, verified: true, keptFor: [] } });
    expect(verifyChain(deps.audit.records(request.id)).verified).toBe(true);
  });

  it('records REVOKED for a revocation asked for before expiry', async () => {
    const deps = testDeps();
    const request = await activeRequest(deps);
    await revokeRequest(deps, caller('bob'), request.id, 'incident over');

    const result = await revokeAccess(deps, request.id);

    expect(result.status).toBe('REVOKED');
    expect(deps.iam.has(READ_ONLY_KEY)).toBe(false);
    expect(deps.audit.records(request.id).at(-1)).toMatchObject({ action: 'REVOKED', actor: caller('bob').arn, reason: 'incident over' });
  });

  it('keeps a shared managed policy attached while another grant still holds it', async () => {
    // Prepare: two ACTIVE grants of the same policy to alice
    const deps = testDeps();
    const first = await activeRequest(deps);
    const second = await approvedRequest(deps);
    await grantAccess(deps, second.id);
    deps.time.advance(first.durationSeconds);

    // Act
    const result = await revokeAccess(deps, first.id);

    // Assess
    expect(result.status).toBe('EXPIRED');
    expect(deps.iam.has(READ_ONLY_KEY)).toBe(true);
    expect(deps.audit.records(first.id).at(-1)?.detail).toMatchObject({ removed: false, keptFor: [second.id] });
  });

  it('detaches the shared policy when the last holder is revoked', async () => {
    // Prepare
    const deps = testDeps();
    const first = await activeRequest(deps);
    const second = await approvedRequest(deps);
    await grantAccess(deps, second.id);
    deps.time.advance(first.durationSeconds);
    await revokeAccess(deps, first.id);

    // Act
    deps.time.advance(second.durationSeconds);
    await revokeAccess(deps, second.id);

    // Assess
    expect(deps.iam.has(READ_ONLY_KEY)).toBe(false);
  });

  it('does not keep a policy for a request that was approved but never granted', async () => {
    // Prepare: the second request is approved, then revoked before its grant ran
    const deps = testDeps();
    const first = await activeRequest(deps);
    const second = await approvedRequest(deps);
    deps.time.advance(first.durationSeconds);

    // Act
    await revokeAccess(deps, first.id);
    await revokeRequest(deps, caller('alice'), second.id);
    await grantAccess(deps, second.id);

    // Assess: nobody holds the policy any more, so IAM must not either
    expect(deps.audit.records(second.id).at(-1)?.state?.status).toBe('REVOKED');
    expect(deps.iam.has(READ_ONLY_KEY)).toBe(false);
  });

  it('succeeds when the access is already gone from IAM', async () => {
    // Prepare: someone detached the policy by hand
    const deps = testDeps();
    const request = await activeRequest(deps);
    deps.iam.objects.delete(READ_ONLY_KEY);
    deps.time.advance(request.durationSeconds);

    // Act
    const result = await revokeAccess(deps, request.id);

    // Assess
    expect(result.status).toBe('EXPIRED');
    expect(deps.audit.records(request.id).at(-1)?.detail).toMatchObject({ removed: false, verified: true });
  });

  it('is idempotent: revoking a closed request changes nothing', async () => {
    const deps = testDeps();
    const request = await activeRequest(deps);
    deps.time.advance(request.durationSeconds);
    await revokeAccess(deps, request.id);
    const calls = deps.iam.calls.length;

    const again = await revokeAccess(deps, request.id);

    expect(again.status).toBe('EXPIRED');
    expect(deps.iam.calls).toHaveLength(calls);
    expect(deps.audit.actions(request.id)).toEqual(['REQUESTED', 'GRANTED', 'EXPIRED']);
  });

  it('closes an approved request that was never granted without touching IAM', async () => {
    const deps = testDeps();
    const request = await approvedRequest(deps);
    await revokeRequest(deps, caller('alice'), request.id);

    const result = await revokeAccess(deps, request.id);

    expect(result.status).toBe('REVOKED');
    expect(deps.iam.calls).toEqual([]);
  });

  it('lets a transient IAM error through for the state machine to retry, recording nothing', async () => {
    const deps = testDeps();
    const request = await activeRequest(deps);
    deps.iam.failNext('remove', new IamTransientError('Throttling'));

    await expect(revokeAccess(deps, request.id)).rejects.toMatchObject({ name: 'IamTransientError' });

    expect(deps.audit.actions(request.id)).toEqual(['REQUESTED', 'GRANTED']);
  });

  it('finishes a revoke that failed before', async () => {
    // Prepare
    const deps = testDeps();
    const request = await activeRequest(deps);
    deps.time.advance(request.durationSeconds);
    await recordRevokeFailure(deps, request.id, 'IamPermanentError', 'AccessDenied');

    // Act
    const result = await revokeAccess(deps, request.id);

    // Assess
    expect(result.status).toBe('EXPIRED');
    expect(deps.audit.records(request.id).at(-1)?.state?.failure).toBeNull();
    expect(deps.iam.has(READ_ONLY_KEY)).toBe(false);
  });
});

describe('recordGrantFailure', () => {
  it('cleans up what the failed grant left in IAM and records GRANT_FAILED', async () => {
    // Prepare: the policy landed, then the grant step failed for good
    const deps = testDeps();
    const request = await approvedRequest(deps);
    deps.iam.objects.add(READ_ONLY_KEY);

    // Act
    const result = await recordGrantFailure(deps, request.id, 'IamPermanentError', 'verification failed');

    // Assess
    expect(result).toEqual({ requestId: request.id, status: 'GRANT_FAILED' });
    expect(deps.iam.has(READ_ONLY_KEY)).toBe(false);
    expect(deps.audit.records(request.id).at(-1)).toMatchObject({
      action: 'GRANT_FAILED',
      reason: 'IamPermanentError',
      detail: { cause: 'verification failed', cleanup: { removed: true } },
    });
    expect(deps.alerts.messages.map((m) => m.message['type'])).toEqual(['GrantFailed']);
  });

  it('records GRANT_FAILED even when the cleanup fails too', async () => {
    const deps = testDeps();
    const request = await approvedRequest(deps);
    deps.iam.failNext('remove', new IamTransientError('Throttling'));

    const result = await recordGrantFailure(deps, request.id, 'IamTransientError', 'retries exhausted');

    expect(result.status).toBe('GRANT_FAILED');
    expect(deps.audit.records(request.id).at(-1)?.detail).toMatchObject({ cleanup: { removed: false, error: expect.stringContaining('Throttling') } });
  });

  it('keeps a policy another active grant still holds', async () => {
    const deps = testDeps();
    await activeRequest(deps);
    const second = await approvedRequest(deps);

    await recordGrantFailure(deps, second.id, 'IamPermanentError', 'x');

    expect(deps.iam.has(READ_ONLY_KEY)).toBe(true);
  });

  it('leaves a request alone that is no longer approved', async () => {
    const deps = testDeps();
    const request = await activeRequest(deps);

    expect(await recordGrantFailure(deps, request.id, 'E', 'c')).toEqual({ requestId: request.id, status: 'ACTIVE' });
    expect(deps.alerts.messages).toEqual([]);
  });
});

describe('recordRevokeFailure', () => {
  it('records REVOKE_FAILED and raises a high-severity alert', async () => {
    // Prepare
    const deps = testDeps();
    const request = await activeRequest(deps, AUTO_APPROVED);

    // Act
    const result = await recordRevokeFailure(deps, request.id, 'IamPermanentError', 'AccessDenied on DetachUserPolicy');

    // Assess
    expect(result).toEqual({ requestId: request.id, status: 'REVOKE_FAILED' });
    expect(deps.alerts.messages).toHaveLength(1);
    expect(deps.alerts.messages[0]!.subject).toMatch(/^ALERT/);
    expect(deps.alerts.messages[0]!.message).toMatchObject({
      type: 'RevokeFailed',
      severity: 'HIGH',
      principal: caller('alice').principalArn,
      error: 'IamPermanentError',
    });
  });
});
