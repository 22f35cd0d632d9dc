import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { awsClients } from '../../functions/shared/clients.js';
import { type Harness, startHarness } from './harness.js';

const SCALE = 600;
let h: Harness;

beforeAll(async () => {
  h = await startHarness({ timeScale: SCALE, catalogFile: 'test/fixtures/catalogs/e2e.yaml' });
});
afterAll(async () => {
  await h?.local.stop();
});

const deploy = { entitlement: 'prod-deploy', duration: 'PT1H', justification: 'ship the fix', ticket: 'INC-42' };

describe('the whole lifecycle over HTTP, local mode', () => {
  it('auto-approves read-only for on-call, grants it in IAM and expires it on time', async () => {
    const before = await h.can('alice', 's3:GetObject', 'arn:aws:s3:::prod-bucket/x');
    const req = await h.request('alice', { entitlement: 'prod-readonly', duration: 'PT10M', justification: 'look at logs' });
    expect(req.status).toBe('APPROVED');
    const active = await h.waitFor(req.id, ['ACTIVE']);
    expect(await h.can('alice', 's3:GetObject', 'arn:aws:s3:::prod-bucket/x')).toBe('allowed');
    expect(Date.parse(active.expiresAt) - Date.parse(active.grantedAt)).toBe(10 * 60_000);

    const expired = await h.waitFor(req.id, ['EXPIRED'], 10_000);
    expect(before).toBe('implicitDeny');
    expect(await h.can('alice', 's3:GetObject', 'arn:aws:s3:::prod-bucket/x')).toBe('implicitDeny');
    // Revoke lands within a few virtual seconds of expiry (a few ms of real time at this scale).
    expect(Date.parse(expired.endedAt) - Date.parse(active.expiresAt)).toBeLessThan(30_000 * (SCALE / 600) + 30_000);
    const audit = await h.call('alice', 'GET', `/requests/${req.id}/audit`);
    expect(audit.json['verified']).toBe(true);
    expect(audit.json['items'].map((i: any) => i.action)).toEqual(['REQUESTED', 'GRANTED', 'EXPIRED']);
  });

  it('waits for an approver, then grants a fenced inline policy, and revokes it early on request', async () => {
    const req = await h.request('alice', deploy);
    expect(req.status).toBe('PENDING_APPROVAL');
    const approved = await h.call('bob', 'POST', `/requests/${req.id}/approve`, { comment: 'ok' });
    expect(approved.status).toBe(200);
    expect(approved.json['request'].status).toBe('APPROVED');
    const active = await h.waitFor(req.id, ['ACTIVE']);

    const user = await h.call(null, 'GET', '/local/iam/users/alice');
    const policy = user.json['inlinePolicies'][`grantline-${req.id}`];
    expect(policy.Statement[0].Condition.DateLessThan['aws:CurrentTime']).toBe(active.expiresAt);
    expect(await h.can('alice', 'lambda:UpdateFunctionCode', 'arn:aws:lambda:us-east-1:000000000000:function:prod-api')).toBe('allowed');

    const revoke = await h.call('alice', 'POST', `/requests/${req.id}/revoke`, { reason: 'done early' });
    expect(revoke.status).toBe(200);
    const revoked = await h.waitFor(req.id, ['REVOKED']);
    expect(revoked.revocation.reason).toBe('done early');
    const after = await h.call(null, 'GET', '/local/iam/users/alice');
    expect(after.json['inlinePolicies'][`grantline-${req.id}`]).toBeUndefined();
    expect(await h.can('alice', 'lambda:UpdateFunctionCode', 'arn:aws:lambda:us-east-1:000000000000:function:prod-api')).toBe('implicitDeny');
  });

  it('records a denial and never touches IAM', async () => {
    const req = await h.request('alice', deploy);
    const denied = await h.call('carol', 'POST', `/requests/${req.id}/deny`, { reason: 'not during the freeze' });
    expect(denied.json['request'].status).toBe('DENIED');
    await new Promise((r) => setTimeout(r, 200));
    const user = await h.call(null, 'GET', '/local/iam/users/alice');
    expect(user.json['inlinePolicies'][`grantline-${req.id}`]).toBeUndefined();
    expect((await h.waitFor(req.id, ['DENIED'])).denial.by).toContain('carol');
  });

  it('lets the requester cancel while pending, and not afterwards', async () => {
    const req = await h.request('alice', deploy);
    const cancelled = await h.call('alice', 'POST', `/requests/${req.id}/cancel`, {});
    expect(cancelled.json['request'].status).toBe('CANCELLED');
    const again = await h.call('alice', 'POST', `/requests/${req.id}/cancel`, {});
    expect(again.status).toBe(409);
    const late = await h.call('bob', 'POST', `/requests/${req.id}/approve`, {});
    expect(late.status).toBe(409);
  });

  it('expires an approval nobody gave within the window (PT30M at 600x ≈ 3 s)', async () => {
    const req = await h.request('alice', deploy);
    const expired = await h.waitFor(req.id, ['APPROVAL_EXPIRED'], 10_000);
    expect(expired.endedAt).not.toBeNull();
    const late = await h.call('bob', 'POST', `/requests/${req.id}/approve`, {});
    expect(late.status).toBe(409);
  });

  it('ends in GRANT_FAILED when IAM refuses the grant, with nothing left attached', async () => {
    const req = await h.request('alice', { entitlement: 'missing-policy', duration: 'PT10M', justification: 'x-ray the failure' });
    const failed = await h.waitFor(req.id, ['GRANT_FAILED']);
    expect(failed.failure.error).toBe('IamPermanentError');
    const user = await h.call(null, 'GET', '/local/iam/users/alice');
    expect(user.json['attachedPolicies']).not.toContain('arn:aws:iam::000000000000:policy/does-not-exist');
    expect(await h.alerted(req.id, 'GrantFailed')).toBe(true);
  });

  it('ends in REVOKE_FAILED and alerts when IAM keeps refusing the revoke', async () => {
    const req = await h.request('alice', deploy);
    await h.call('bob', 'POST', `/requests/${req.id}/approve`, {});
    await h.waitFor(req.id, ['ACTIVE']);
    const iam = awsClients().iam;
    const name = 'e2e-deny-revoke';
    iam.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'DeleteUserPolicyCommand') {
          throw Object.assign(new Error('User is not authorized to perform iam:DeleteUserPolicy'), { name: 'AccessDenied', $metadata: { httpStatusCode: 403 } });
        }
        return next(args);
      },
      { step: 'initialize', name, priority: 'high' },
    );
    try {
      await h.call('alice', 'POST', `/requests/${req.id}/revoke`, {});
      const failed = await h.waitFor(req.id, ['REVOKE_FAILED'], 15_000);
      expect(failed.failure.error).toBe('IamPermanentError');
      expect(await h.alerted(req.id, 'RevokeFailed')).toBe(true);
    } finally {
      iam.middlewareStack.remove(name);
    }
  });

  it('keeps a shared managed policy attached while another grant still needs it', async () => {
    const first = await h.request('alice', { entitlement: 'prod-readonly', duration: 'PT5M', justification: 'first' });
    await h.waitFor(first.id, ['ACTIVE']);
    const second = await h.request('alice', { entitlement: 'prod-readonly', duration: 'PT50M', justification: 'second' });
    await h.waitFor(second.id, ['ACTIVE']);
    await h.waitFor(first.id, ['EXPIRED'], 10_000);
    const user = await h.call(null, 'GET', '/local/iam/users/alice');
    expect(user.json['attachedPolicies']).toContain('arn:aws:iam::aws:policy/ReadOnlyAccess');
    await h.call('alice', 'POST', `/requests/${second.id}/revoke`, {});
    await h.waitFor(second.id, ['REVOKED']);
    const after = await h.call(null, 'GET', '/local/iam/users/alice');
    expect(after.json['attachedPolicies']).not.toContain('arn:aws:iam::aws:policy/ReadOnlyAccess');
  });
});
