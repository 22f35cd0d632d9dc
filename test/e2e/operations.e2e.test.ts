import { StopExecutionCommand } from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { awsClients } from '../../functions/shared/clients.js';
import { STATE_MACHINE_ARN } from '../../local/runtime.js';
import { type Harness, type Json, arn, startHarness } from './harness.js';

// 5 virtual minutes = 0.5 s: the sweeper's schedule runs for real here.
const SCALE = 600;
let h: Harness;

beforeAll(async () => {
  h = await startHarness({ timeScale: SCALE, catalogFile: 'test/fixtures/catalogs/e2e.yaml' });
});
afterAll(async () => {
  await h?.local.stop();
});

const executionArn = (id: string) => STATE_MACHINE_ARN.replace(':stateMachine:', ':execution:') + `:${id}`;
const readonly = { entitlement: 'prod-readonly', duration: 'PT10M', justification: 'logs' };
const deploy = { entitlement: 'prod-deploy', duration: 'PT1H', justification: 'ship', ticket: 'INC-1' };

async function active(who: string, body: Json): Promise<Json> {
  const req = await h.request(who, body);
  if (req.status === 'PENDING_APPROVAL') await h.call('bob', 'POST', `/requests/${req.id}/approve`, {});
  return h.waitFor(req.id, ['ACTIVE']);
}

describe('sweeper', () => {
  it('revokes at expiry a grant whose execution was aborted, and marks it REVOKE_FAILED meanwhile', async () => {
    const req = await active('alice', readonly);
    await awsClients().sfn.send(new StopExecutionCommand({ executionArn: executionArn(req.id), error: 'Test', cause: 'killed by the test' }));
    // The execution-ended rule marks it: nothing else would revoke it.
    const marked = await h.waitFor(req.id, ['REVOKE_FAILED'], 5_000);
    expect(marked.failure).toMatchObject({ error: 'Test' });
    expect(await h.can('alice', 's3:GetObject', 'arn:aws:s3:::prod/x')).toBe('allowed');
    expect(await h.alerted(req.id, 'RevokeFailed')).toBe(true);
    const alerts = (await h.call(null, 'GET', '/local/notifications')).json['alerts'] as Json[];
    expect(alerts.some((a) => a.message.requestId === req.id && a.subject.startsWith('ALERT'))).toBe(true);

    // Expiry (10 virtual minutes) plus the sweeper's grace: a few real seconds at this scale.
    const ended = await h.waitFor(req.id, ['REVOKED', 'EXPIRED'], 10_000);
    expect(Date.parse(ended.endedAt)).toBeGreaterThanOrEqual(Date.parse(req.expiresAt));
    expect(await h.can('alice', 's3:GetObject', 'arn:aws:s3:::prod/x')).toBe('implicitDeny');
    const audit = (await h.call('carol', 'GET', `/requests/${req.id}/audit`)).json;
    expect(audit.verified).toBe(true);
    expect(audit.items.map((i: Json) => i.action)).toEqual(['REQUESTED', 'GRANTED', 'REVOKE_FAILED', expect.stringMatching(/REVOKED|EXPIRED/)]);
  });

  it('leaves nothing in IAM after an execution aborted in the middle of its grant', async () => {
    const iam = awsClients().iam;
    const name = 'e2e-slow-attach';
    let attaching: () => void = () => undefined;
    const reached = new Promise<void>((resolve) => (attaching = resolve));
    iam.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'AttachUserPolicyCommand') {
          attaching();
          await new Promise((r) => setTimeout(r, 300));
        }
        return next(args);
      },
      { step: 'initialize', name, priority: 'high' },
    );
    try {
      const req = await h.request('alice', readonly);
      await reached; // the Grant task is calling IAM right now
      await awsClients().sfn.send(new StopExecutionCommand({ executionArn: executionArn(req.id), error: 'Test', cause: 'aborted mid-grant' }));
      // Either the execution-ended rule saw it APPROVED (GRANT_FAILED, partial grant undone), or the
      // grant landed first (REVOKE_FAILED, then the sweeper revokes at expiry).
      const end = await h.waitFor(req.id, ['GRANT_FAILED', 'REVOKED', 'EXPIRED'], 15_000);
      await new Promise((r) => setTimeout(r, 400)); // the aborted grant's Lambda finishes in the background
      expect(await h.can('alice', 's3:GetObject', 'arn:aws:s3:::prod/x')).toBe('implicitDeny');
      expect((await h.call(null, 'GET', '/local/iam/users/alice')).json['attachedPolicies']).toEqual([]);
      expect((await h.call('carol', 'GET', `/requests/${end.id}/audit`)).json['verified']).toBe(true);
    } finally {
      iam.middlewareStack.remove(name);
    }
  });

  it('answers POST /local/sweep with the summary of a run', async () => {
    const r = await h.call(null, 'POST', '/local/sweep');
    expect(r.status).toBe(200);
    expect(r.json['sweep']).toMatchObject({ failed: [], candidates: expect.any(Number) });
    expect((await h.call(null, 'POST', '/local/sweep', { now: 'x' })).status).toBe(400);
  });
});

describe('shared grants', () => {
  it('detaches a managed policy that 20 concurrent grants shared once they all expire', async () => {
    const all = await Promise.all(Array.from({ length: 20 }, () => h.request('alice', { ...readonly, duration: 'PT5M' })));
    await Promise.all(all.map((r) => h.waitFor(r.id, ['EXPIRED'], 15_000)));
    await new Promise((r) => setTimeout(r, 100)); // any re-check after commit
    expect((await h.call(null, 'GET', '/local/iam/users/alice')).json['attachedPolicies']).toEqual([]);
    expect(await h.can('alice', 's3:GetObject', 'arn:aws:s3:::prod/x')).toBe('implicitDeny');
  });
});

describe('offboarding', () => {
  it('cancels pending requests and revokes every active grant of the principal', async () => {
    const grants = await Promise.all([active('alice', readonly), active('alice', deploy)]);
    const pending = await h.request('alice', deploy);
    const r = await h.call('carol', 'POST', '/offboarding', { principal: arn('alice'), reason: 'left the company' });
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ principal: arn('alice'), verified: true, counts: { REVOKED: 2, CANCELLED: 1, FAILED: 0 } });
    expect(r.json['durationMs']).toEqual(expect.any(Number));
    for (const g of grants) expect((await h.waitFor(g.id, ['REVOKED'])).revocation.reason).toContain('left the company');
    expect((await h.waitFor(pending.id, ['CANCELLED'])).status).toBe('CANCELLED');
    const user = (await h.call(null, 'GET', '/local/iam/users/alice')).json;
    expect(user.attachedPolicies).toEqual([]);
    expect(Object.keys(user.inlinePolicies)).toEqual([]);
  });

  it('is for admins only, and checks its body', async () => {
    expect((await h.call('bob', 'POST', '/offboarding', { principal: arn('alice'), reason: 'x' })).status).toBe(403);
    expect((await h.call(null, 'POST', '/offboarding', { principal: arn('alice'), reason: 'x' })).status).toBe(401);
    const bad = await h.call('carol', 'POST', '/offboarding', { principal: 'alice', reason: 'x' });
    expect(bad.status).toBe(400);
    expect(bad.json['error'].field).toMatch(/principal/);
    const extra = await h.call('carol', 'POST', '/offboarding', { principal: arn('alice'), reason: 'x', force: true });
    expect(extra.status).toBe(400);
  });

  it('runs from a "Grantline Offboard Principal" event on the grantline bus', async () => {
    const g = await active('alice', readonly);
    const r = await h.call(null, 'POST', '/local/events', {
      source: 'hr.workday',
      'detail-type': 'Grantline Offboard Principal',
      detail: { principal: arn('alice'), reason: 'terminated in HR', requestedBy: 'hr-system' },
    });
    expect(r.status).toBe(200);
    expect(r.json['deliveries']).toEqual([{ rule: 'offboard-principal', ok: true, result: expect.objectContaining({ counts: expect.objectContaining({ REVOKED: 1 }) }) }]);
    expect((await h.waitFor(g.id, ['REVOKED'])).status).toBe('REVOKED');
    expect(await h.can('alice', 's3:GetObject', 'arn:aws:s3:::prod/x')).toBe('implicitDeny');
  });
});

describe('kill switch', () => {
  it('needs the exact confirmation and an admin', async () => {
    const g = await active('alice', readonly);
    expect((await h.call('carol', 'POST', '/kill-switch', { reason: 'breach', confirm: 'revoke all' })).status).toBe(400);
    expect((await h.call('bob', 'POST', '/kill-switch', { reason: 'breach', confirm: 'REVOKE ALL' })).status).toBe(403);
    expect((await h.call('carol', 'GET', `/requests/${g.id}`)).json['request'].status).toBe('ACTIVE');
  });

  it('revokes every active grant in the account, recorded with who pulled it and why', async () => {
    const grants = await Promise.all([active('alice', readonly), active('alice', deploy)]);
    const r = await h.call('carol', 'POST', '/kill-switch', { reason: 'credential leak', confirm: 'REVOKE ALL' });
    expect(r.status).toBe(200);
    expect(r.json['counts'].FAILED).toBe(0);
    expect(r.json['counts'].REVOKED).toBeGreaterThanOrEqual(2);
    for (const g of grants) {
      const done = await h.waitFor(g.id, ['REVOKED']);
      expect(done.revocation).toMatchObject({ by: arn('carol'), reason: expect.stringContaining('credential leak') });
    }
    expect((await h.call('carol', 'GET', '/requests?status=ACTIVE')).json['items']).toEqual([]);
  });
});

describe('access review', () => {
  it('finds drift and Grantline leftovers, serves the report, and remediates leftovers on request', async () => {
    h.local.iam.attachPolicy('user', 'dave', 'arn:aws:iam::aws:policy/AdministratorAccess');
    h.local.iam.putUserPolicy('bob', 'grantline-00000000-0000-4000-8000-000000000000', { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:*', Resource: '*' }] });
    expect((await h.call('bob', 'POST', '/reviews', {})).status).toBe(403); // approvers read reviews; admins run them
    const run = await h.call('carol', 'POST', '/reviews', {});
    expect(run.status).toBe(201);
    const { review } = run.json;
    const types = review.findings.map((f: Json) => `${f.type}:${f.principal ?? f.entitlement ?? ''}`);
    expect(types).toContain(`DRIFT:${arn('dave')}`);
    expect(types).toContain(`GRANTLINE_LEFTOVER:${arn('bob')}`);
    expect(review.summary.iamCalls).toBeLessThanOrEqual(2);

    const latest = await h.call('carol', 'GET', '/reviews/latest');
    expect(latest.status).toBe(200);
    expect(latest.json['review'].id).toBe(review.id);
    expect((await h.call('bob', 'GET', `/reviews/${review.id}`)).json['review'].findings).toEqual(review.findings);
    expect((await h.call('carol', 'GET', '/reviews/no-such-review')).status).toBe(404);
    expect((await h.call('alice', 'GET', '/reviews/latest')).status).toBe(403);
    expect((await h.call('alice', 'POST', '/reviews', {})).status).toBe(403);
    expect((await h.call('carol', 'POST', '/reviews', { remediate: 'yes' })).status).toBe(400);

    const published = (await h.call(null, 'GET', '/local/events?bus=grantline&detailType=Grantline%20Review%20Completed')).json['items'];
    expect(published.length).toBeGreaterThanOrEqual(1);

    const fixed = await h.call('carol', 'POST', '/reviews', { remediate: true });
    expect(fixed.json['review'].summary.remediated).toBeGreaterThanOrEqual(1);
    expect(Object.keys((await h.call(null, 'GET', '/local/iam/users/bob')).json['inlinePolicies'])).toEqual([]);
    // Drift that Grantline did not create is reported, never removed.
    expect((await h.call(null, 'GET', '/local/iam/users/dave')).json['attachedPolicies']).toContain('arn:aws:iam::aws:policy/AdministratorAccess');
  });
});
