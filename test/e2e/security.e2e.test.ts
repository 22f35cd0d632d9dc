import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from './harness.js';

let h: Harness;

beforeAll(async () => {
  h = await startHarness({ timeScale: 60 });
});
afterAll(async () => {
  await h?.local.stop();
});

const deploy = { entitlement: 'prod-deploy', duration: 'PT1H', justification: 'ship the fix', ticket: 'INC-42' };

describe('separation of duties', () => {
  it('refuses an approval by the requester, even with a second identity of the same role session', async () => {
    const req = await h.request('alice', deploy);
    const self = await h.call('alice', 'POST', `/requests/${req.id}/approve`, {});
    expect(self.status).toBe(403);
    expect(self.json['error'].code).toBe('Forbidden');
    const stillPending = await h.call('alice', 'GET', `/requests/${req.id}`);
    expect(stillPending.json['request'].status).toBe('PENDING_APPROVAL');
  });

  it('refuses approvals from people who are not approvers of the entitlement', async () => {
    const req = await h.request('alice', deploy);
    const dave = await h.call('dave', 'POST', `/requests/${req.id}/approve`, {});
    expect([403, 404]).toContain(dave.status);
    expect((await h.call('alice', 'GET', `/requests/${req.id}`)).json['request'].approvals).toEqual([]);
  });

  it('does not let dave (contractors) request anything in prod', async () => {
    const r = await h.call('dave', 'POST', '/requests', deploy);
    expect(r.status).toBe(403);
    expect((await h.call('dave', 'GET', '/entitlements')).json['items']).toEqual([]);
  });

  it('needs two distinct approvers for break-glass, and one approver cannot count twice', async () => {
    const req = await h.request('alice', { entitlement: 'prod-admin', duration: 'PT30M', justification: 'prod is down' });
    expect(req.requiredApprovals).toBe(2);
    expect((await h.call('bob', 'POST', `/requests/${req.id}/approve`, {})).json['request'].status).toBe('PENDING_APPROVAL');
    expect((await h.call('bob', 'POST', `/requests/${req.id}/approve`, {})).status).toBe(409);
    expect(await h.can('alice', 'iam:CreateUser')).toBe('implicitDeny');
    expect((await h.call('carol', 'POST', `/requests/${req.id}/approve`, {})).json['request'].status).toBe('APPROVED');
    await h.waitFor(req.id, ['ACTIVE']);
    expect(await h.can('alice', 'iam:CreateUser')).toBe('allowed');
    await h.call('carol', 'POST', `/requests/${req.id}/revoke`, { reason: 'over' });
    await h.waitFor(req.id, ['REVOKED']);
    expect(await h.can('alice', 'iam:CreateUser')).toBe('implicitDeny');
  });

  it('hides a request from people who are neither requester, approver nor admin', async () => {
    const req = await h.request('alice', deploy);
    expect((await h.call('dave', 'GET', `/requests/${req.id}`)).status).toBe(404);
    expect((await h.call('dave', 'GET', `/requests/${req.id}/audit`)).status).toBe(404);
    expect((await h.call('bob', 'GET', `/requests/${req.id}`)).status).toBe(200);
  });

  it('lists pending approvals for approvers but not for the requester', async () => {
    const req = await h.request('alice', deploy);
    const bob = await h.call('bob', 'GET', '/requests?pendingMyApproval=true');
    expect(bob.json['items'].map((i: any) => i.id)).toContain(req.id);
    const alice = await h.call('alice', 'GET', '/requests?pendingMyApproval=true');
    expect(alice.json['items'].map((i: any) => i.id)).not.toContain(req.id);
  });
});

describe('races', () => {
  it('20 simultaneous approvals of a one-approver request yield one approval and one grant', async () => {
    const req = await h.request('alice', deploy);
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => h.call(i % 2 ? 'bob' : 'carol', 'POST', `/requests/${req.id}/approve`, { comment: `#${i}` })),
    );
    const statuses = results.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect(statuses.filter((s) => s === 409)).toHaveLength(19);
    const active = await h.waitFor(req.id, ['ACTIVE']);
    expect(active.approvals).toHaveLength(1);
    const audit = await h.call('alice', 'GET', `/requests/${req.id}/audit`);
    expect(audit.json['verified']).toBe(true);
    expect(audit.json['items'].filter((i: any) => i.action === 'APPROVED')).toHaveLength(1);
    expect(audit.json['items'].filter((i: any) => i.action === 'GRANTED')).toHaveLength(1);
    const user = await h.call(null, 'GET', '/local/iam/users/alice');
    expect(Object.keys(user.json['inlinePolicies']).filter((n) => n === `grantline-${req.id}`)).toHaveLength(1);
  });

  it('an approval and a cancel racing end in exactly one of the two outcomes', async () => {
    const req = await h.request('alice', deploy);
    const [approve, cancel] = await Promise.all([
      h.call('bob', 'POST', `/requests/${req.id}/approve`, {}),
      h.call('alice', 'POST', `/requests/${req.id}/cancel`, {}),
    ]);
    expect([approve.status, cancel.status].sort()).toEqual([200, 409]);
    const final = await h.waitFor(req.id, approve.status === 200 ? ['ACTIVE'] : ['CANCELLED']);
    expect(['ACTIVE', 'CANCELLED']).toContain(final.status);
    if (final.status === 'ACTIVE') await h.call('alice', 'POST', `/requests/${req.id}/revoke`, {});
  });
});

describe('bad inputs change nothing', () => {
  const cases: [string, () => Promise<{ status: number; json: any }>, number, string | undefined][] = [
    ['no identity', () => h.call(null, 'POST', '/requests', deploy), 401, undefined],
    ['an unknown field', () => h.call('alice', 'POST', '/requests', { ...deploy, durration: 'PT1H' }), 400, 'durration'],
    ['a missing field', () => h.call('alice', 'POST', '/requests', { entitlement: 'prod-deploy', duration: 'PT1H', ticket: 'INC-1' }), 400, 'justification'],
    ['a bad duration', () => h.call('alice', 'POST', '/requests', { ...deploy, duration: 'forever' }), 400, 'duration'],
    ['a duration over the maximum', () => h.call('alice', 'POST', '/requests', { ...deploy, duration: 'PT3H' }), 400, 'duration'],
    ['a ticket that does not match', () => h.call('alice', 'POST', '/requests', { ...deploy, ticket: 'fix it' }), 400, 'ticket'],
    ['an unknown entitlement', () => h.call('alice', 'POST', '/requests', { ...deploy, entitlement: 'root' }), 400, 'entitlement'],
    ['a wrong type', () => h.call('alice', 'POST', '/requests', { ...deploy, duration: 3600 }), 400, 'duration'],
    ['an array body', () => h.call('alice', 'POST', '/requests', [deploy]), 400, undefined],
    ['invalid JSON', () => h.call('alice', 'POST', '/requests', '{"entitlement":'), 400, 'body'],
    ['a body that is not JSON', () => h.call('alice', 'POST', '/requests', 'entitlement=prod-deploy', { 'content-type': 'text/plain' }), 415, undefined],
    ['a body over 64 KiB', () => h.call('alice', 'POST', '/requests', { ...deploy, justification: 'x'.repeat(70_000) }), 413, undefined],
    ['an unknown query parameter', () => h.call('alice', 'GET', '/requests?mien=true'), 400, 'mien'],
    ['an unknown status filter', () => h.call('alice', 'GET', '/requests?status=PENDING'), 400, 'status'],
    ['a forged page token', () => h.call('alice', 'GET', '/requests?mine=true&nextToken=abc'), 400, 'nextToken'],
    ['a bad caller ARN', () => h.call(null, 'GET', '/entitlements', undefined, { 'x-grantline-caller': 'not-an-arn' }), 401, undefined],
  ];

  it.each(cases)('answers %s with a clear error', async (_name, run, status, field) => {
    const before = await h.call('alice', 'GET', '/requests?mine=true&limit=100');
    const r = await run();
    expect(r.status).toBe(status);
    expect(typeof r.json['error'].message).toBe('string');
    expect(JSON.stringify(r.json)).not.toMatch(/at .*\.ts:\d+/);
    if (field) expect(r.json['error'].field).toBe(field);
    const after = await h.call('alice', 'GET', '/requests?mine=true&limit=100');
    expect(after.json['items'].length).toBe(before.json['items'].length);
  });

  it('answers unknown routes with 404 and wrong methods with 405', async () => {
    expect((await h.call('alice', 'GET', '/nope')).status).toBe(404);
    expect((await h.call('alice', 'DELETE', '/requests')).status).toBe(405);
    expect((await h.call('alice', 'GET', '/requests/does-not-exist')).status).toBe(404);
  });

  it('answers /health without an identity', async () => {
    const r = await h.call(null, 'GET', '/health');
    expect(r.status).toBe(200);
    expect(r.json['catalogVersion']).toMatch(/^sha256:/);
  });
});
