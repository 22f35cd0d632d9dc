import { describe, expect, it } from 'vitest';
import { verifyChain } from '../../../functions/access/domain/audit-chain.js';
import { IamPermanentError, IamTransientError } from '../../../functions/access/domain/errors.js';
import { planGrant } from '../../../functions/access/domain/grant-plan.js';
import { revokeRequest } from '../../../functions/access/use-cases/requests.js';
import {
  awaitApproval,
  awaitExpiry,
  grantAccess,
  recordRevokeFailure,
  revokeAccess,
} from '../../../functions/access/use-cases/workflow-steps.js';
import { sweep, type SweepOptions } from '../../../functions/lifecycle/use-cases/sweep.js';
import { POLICIES } from '../../helpers/catalog.js';
import { testDeps, type TestDeps } from '../../helpers/memory.js';
import { activeRequest, approvedRequest, caller, submit } from '../../helpers/requests.js';

const READ_ONLY_KEY = `user/alice|policy|${POLICIES.readOnly}`;
const BILLING_KEY = 'user/alice|group|BillingReaders';
const BILLING = { entitlement: 'billing', duration: 'PT4H', justification: 'quarter close' };
const instant: SweepOptions = { sleep: async () => {} };

const run = (deps: TestDeps, options: SweepOptions = {}) => sweep(deps, { ...instant, ...options });
const lastRecord = (deps: TestDeps, id: string) => deps.audit.records(id).at(-1)!;
const removals = (deps: TestDeps) => deps.iam.calls.filter((c) => c.op === 'remove').length;

async function billingGrant(deps: TestDeps) {
  const request = await approvedRequest(deps, BILLING);
  await grantAccess(deps, request.id);
  return lastRecord(deps, request.id).state!;
}

describe('sweep: grants past expiry', () => {
  it('revokes an ACTIVE grant past expiry and leaves one that has time left alone', async () => {
    // Prepare: a 30-minute read grant and a 4-hour group membership
    const deps = testDeps();
    const short = await activeRequest(deps);
    const long = await billingGrant(deps);
    deps.time.advance(30 * 60 + 61);

    // Act
    const summary = await run(deps);

    // Assess
    expect(summary).toMatchObject({ expired: [short.id], revoked: [], failed: [], repaired: 0 });
    expect(lastRecord(deps, short.id)).toMatchObject({ action: 'EXPIRED', actor: 'grantline:system' });
    expect(deps.iam.has(READ_ONLY_KEY)).toBe(false);
    expect(lastRecord(deps, long.id).action).toBe('GRANTED');
    expect(deps.iam.has(BILLING_KEY)).toBe(true);
    expect(verifyChain(deps.audit.records(short.id)).verified).toBe(true);
  });

  it('leaves the execution its grace period before stepping in', async () => {
    const deps = testDeps();
    const request = await activeRequest(deps);
    deps.time.advance(30 * 60 + 30);

    const summary = await run(deps);

    expect(summary.expired).toEqual([]);
    expect(lastRecord(deps, request.id).action).toBe('GRANTED');
    expect(deps.iam.has(READ_ONLY_KEY)).toBe(true);
  });

  it('revokes a REVOKE_FAILED grant once it is past expiry', async () => {
    // Prepare: the execution's revoke failed for good at expiry
    const deps = testDeps();
    const request = await activeRequest(deps);
    deps.time.advance(30 * 60);
    deps.iam.failNext('remove', new IamPermanentError('AccessDenied'));
    await expect(revokeAccess(deps, request.id)).rejects.toThrow('AccessDenied');
    await recordRevokeFailure(deps, request.id, 'IamPermanentError', 'AccessDenied');
    deps.time.advance(61);

    // Act
    const summary = await run(deps);

    // Assess
    expect(summary.expired).toEqual([request.id]);
    expect(deps.audit.actions(request.id).slice(-2)).toEqual(['REVOKE_FAILED', 'EXPIRED']);
    expect(deps.iam.has(READ_ONLY_KEY)).toBe(false);
  });

  it.each([
    ['left ACTIVE', false],
    ['marked REVOKE_FAILED', true],
  ])('revokes at expiry, and not before, a grant whose execution was aborted (%s)', async (_, markedFailed) => {
    // Prepare: granted, then the execution was stopped; nothing is waiting to revoke it
    const deps = testDeps();
    const request = await activeRequest(deps);
    if (markedFailed) await recordRevokeFailure(deps, request.id, 'States.Runtime', 'execution aborted');
    const before = deps.audit.records(request.id).length;

    // Act: sweeps while time is left
    deps.time.advance(10 * 60);
    const early = await run(deps);
    deps.time.advance(19 * 60);
    const later = await run(deps);

    // Assess: nothing touched
    expect([...early.expired, ...later.expired, ...early.failed, ...later.failed]).toEqual([]);
    expect(deps.audit.records(request.id)).toHaveLength(before);
    expect(deps.iam.has(READ_ONLY_KEY)).toBe(true);

    // Act: the first sweep after expiry and grace
    deps.time.advance(60 + 61);
    const due = await run(deps);

    // Assess
    expect(due.expired).toEqual([request.id]);
    expect(deps.iam.has(READ_ONLY_KEY)).toBe(false);
    expect(lastRecord(deps, request.id).state?.status).toBe('EXPIRED');
  });

  it('settles a stored expiry token so a still-running execution finds nothing to do', async () => {
    const deps = testDeps();
    const request = await activeRequest(deps);
    await awaitExpiry(deps, request.id, 'expiry-token');
    deps.time.advance(30 * 60 + 61);

    await run(deps);

    expect(deps.workflow.succeeded).toEqual([{ token: 'expiry-token', output: { signal: 'REVOKE' } }]);
    // The execution's Revoke step then runs: idempotent, no second record
    await revokeAccess(deps, request.id);
    expect(deps.audit.actions(request.id).filter((a) => a === 'EXPIRED')).toHaveLength(1);
  });

  it('carries out a revocation that was recorded but never acted on', async () => {
    // Prepare: revoked early, but no execution was waiting to hear it
    const deps = testDeps();
    const request = await activeRequest(deps);
    await revokeRequest(deps, caller('bob'), request.id, 'incident over');
    deps.time.advance(61);

    // Act
    const summary = await run(deps);

    // Assess
    expect(summary.revoked).toEqual([request.id]);
    expect(lastRecord(deps, request.id)).toMatchObject({ action: 'REVOKED', actor: caller('bob').arn, reason: 'incident over' });
    expect(deps.iam.has(READ_ONLY_KEY)).toBe(false);
  });

  it('retries IAM throttling within the sweep', async () => {
    const deps = testDeps();
    const request = await activeRequest(deps);
    deps.iam.failNext('remove', new IamTransientError('Throttling')).failNext('remove', new IamTransientError('Throttling'));
    deps.time.advance(30 * 60 + 61);

    const summary = await run(deps);

    expect(summary.expired).toEqual([request.id]);
    expect(removals(deps)).toBe(3);
  });
});

describe('sweep: repeated failures', () => {
  it('records each failed sweep and sends one HIGH alert after the third', async () => {
    // Prepare
    const deps = testDeps();
    const request = await activeRequest(deps);
    deps.time.advance(30 * 60 + 61);
    const alerts = () => deps.alerts.messages.filter((m) => m.message['type'] === 'StillUnrevoked');

    // Act + Assess: three failing sweeps, five minutes apart
    for (const n of [1, 2, 3]) {
      deps.iam.failNext('remove', new IamPermanentError('AccessDenied'));
      const summary = await run(deps);
      expect(summary.failed).toEqual([{ requestId: request.id, error: 'IamPermanentError: AccessDenied', sweeps: n }]);
      expect(lastRecord(deps, request.id)).toMatchObject({ action: 'REVOKE_FAILED', detail: { source: 'sweeper', sweep: n } });
      expect(alerts()).toHaveLength(n < 3 ? 0 : 1);
      deps.time.advance(300);
    }
    expect(alerts()[0]).toMatchObject({
      subject: `ALERT Grantline: ${request.id} still unrevoked after 3 sweeps`,
      message: { severity: 'HIGH', requestId: request.id, principal: caller('alice').principalArn, sweeps: 3 },
    });

    // A fourth failure does not page again; the next working sweep revokes it
    deps.iam.failNext('remove', new IamPermanentError('AccessDenied'));
    await run(deps);
    expect(alerts()).toHaveLength(1);
    deps.time.advance(300);
    const fixed = await run(deps);
    expect(fixed.expired).toEqual([request.id]);
    expect(deps.iam.has(READ_ONLY_KEY)).toBe(false);
    expect(verifyChain(deps.audit.records(request.id)).verified).toBe(true);
  });
});

describe('sweep: approvals and stuck grants', () => {
  it('expires a pending request past its approval window and ends its execution', async () => {
    // Prepare: prod-read needs an approval within PT1H
    const deps = testDeps();
    const request = await submit(deps, 'alice');
    await awaitApproval(deps, request.id, 'approval-token');
    deps.time.advance(3600 + 61);

    // Act
    const summary = await run(deps);

    // Assess
    expect(summary.approvalsExpired).toEqual([request.id]);
    expect(lastRecord(deps, request.id)).toMatchObject({ action: 'APPROVAL_EXPIRED', actor: 'grantline:system' });
    expect(deps.workflow.failed).toEqual([{ token: 'approval-token', error: 'RequestClosed', cause: 'the approval window closed' }]);
    expect(deps.notifier.messages.at(-1)?.message).toMatchObject({ type: 'ApprovalExpired', requestId: request.id });
  });

  it('leaves a pending request with time left alone', async () => {
    const deps = testDeps();
    const request = await submit(deps, 'alice');
    deps.time.advance(3000);

    const summary = await run(deps);

    expect(summary.approvalsExpired).toEqual([]);
    expect(lastRecord(deps, request.id).state?.status).toBe('PENDING_APPROVAL');
  });

  it('cleans up a grant whose execution died after changing IAM but before recording it', async () => {
    // Prepare: approved; IAM got the attachment; GRANTED was never written
    const deps = testDeps();
    const request = await approvedRequest(deps);
    await deps.iam.apply(planGrant(request, deps.clock().toISOString()));
    deps.time.advance(10 * 60);
    const early = await run(deps);
    expect(early.grantsFailed).toEqual([]);

    // Act: more than 15 minutes after the approval
    deps.time.advance(6 * 60);
    const summary = await run(deps);

    // Assess
    expect(summary.grantsFailed).toEqual([request.id]);
    expect(lastRecord(deps, request.id)).toMatchObject({ action: 'GRANT_FAILED', reason: 'GrantStuck', detail: { cleanup: { removed: true } } });
    expect(deps.iam.has(READ_ONLY_KEY)).toBe(false);
    expect(deps.alerts.messages.at(-1)?.message).toMatchObject({ type: 'GrantFailed', requestId: request.id });
  });
});

describe('sweep: the projection', () => {
  it('repairs an item the log has moved past, without touching IAM again', async () => {
    // Prepare: the execution revoked at expiry but its projection write failed
    const deps = testDeps();
    const request = await activeRequest(deps);
    deps.time.advance(30 * 60);
    deps.requests.failSaves = new Error('throttled');
    await revokeAccess(deps, request.id);
    deps.requests.failSaves = undefined;
    expect(deps.requests.stored(request.id)?.request?.status).toBe('ACTIVE');
    deps.time.advance(61);
    const removalsBefore = removals(deps);

    // Act
    const summary = await run(deps);

    // Assess
    expect(summary).toMatchObject({ repaired: 1, expired: [], failed: [] });
    expect(deps.requests.stored(request.id)?.request).toMatchObject({ status: 'EXPIRED', seq: lastRecord(deps, request.id).seq });
    expect(removals(deps)).toBe(removalsBefore);
  });

  it('revokes a grant the projection still shows as APPROVED', async () => {
    // Prepare: granted, but the GRANTED projection write was lost
    const deps = testDeps();
    const request = await approvedRequest(deps);
    deps.requests.failSaves = new Error('throttled');
    await grantAccess(deps, request.id);
    deps.requests.failSaves = undefined;
    deps.time.advance(2 * 3600 + 61);

    // Act
    const summary = await run(deps);

    // Assess
    expect(summary).toMatchObject({ repaired: 1, expired: [request.id] });
    expect(deps.iam.has(READ_ONLY_KEY)).toBe(false);
    expect(deps.requests.stored(request.id)?.request?.status).toBe('EXPIRED');
  });
});

describe('sweep: time budget', () => {
  it('leaves what it has no time for to the next sweep', async () => {
    const deps = testDeps();
    const request = await activeRequest(deps);
    deps.time.advance(30 * 60 + 61);

    const summary = await run(deps, { remainingMs: () => 5_000 });

    expect(summary).toMatchObject({ candidates: 1, deferred: 1, expired: [] });
    expect(lastRecord(deps, request.id).action).toBe('GRANTED');
  });
});
