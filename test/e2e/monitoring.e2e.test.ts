import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, type Json, arn, startHarness } from './harness.js';

const SCALE = 600;
const ADMIN_POLICY = 'arn:aws:iam::aws:policy/AdministratorAccess';
let h: Harness;
let startedAt: string;

beforeAll(async () => {
  h = await startHarness({ timeScale: SCALE, catalogFile: 'test/fixtures/catalogs/e2e.yaml', schedules: false });
  startedAt = h.local.clock.now().toISOString();
});
afterAll(async () => {
  await h?.local.stop();
});

/** A CloudTrail management event exactly as EventBridge delivers it. */
function cloudTrail(eventName: string, requestParameters: Json, who: Json = { type: 'IAMUser', arn: arn('dave'), accountId: '000000000000', userName: 'dave' }, source = 'aws.iam'): Json {
  const time = h.local.clock.now().toISOString();
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'AWS API Call via CloudTrail',
    source,
    account: '000000000000',
    time,
    region: 'us-east-1',
    resources: [],
    detail: {
      eventVersion: '1.09',
      eventID: randomUUID(),
      eventTime: time,
      eventName,
      eventSource: `${source.slice(4)}.amazonaws.com`,
      awsRegion: 'us-east-1',
      sourceIPAddress: '203.0.113.7',
      userIdentity: who,
      requestParameters,
      responseElements: null,
    },
  };
}

const anomalies = async (): Promise<Json[]> => (await h.call('carol', 'GET', `/anomalies?since=${startedAt}`)).json['items'];

describe('anomaly rules in local mode', () => {
  it('records an untracked AttachUserPolicy as an ANOMALY and alerts on-call', async () => {
    h.local.iam.attachPolicy('user', 'dave', ADMIN_POLICY);
    const event = cloudTrail('AttachUserPolicy', { userName: 'dave', policyArn: ADMIN_POLICY });
    const injected = await h.call(null, 'POST', '/local/cloudtrail', event);
    expect(injected.status).toBe(200);
    expect(injected.json['deliveries']).toEqual([{ rule: 'iam-changes', ok: true, result: expect.objectContaining({ outcome: 'anomaly' }) }]);

    const found = (await anomalies()).find((a) => a.detail.eventId === event.detail.eventID);
    expect(found).toMatchObject({
      kind: 'ANOMALY',
      actor: arn('dave'),
      detail: { eventName: 'AttachUserPolicy', target: { type: 'user', name: 'dave' }, change: { policyArn: ADMIN_POLICY }, severity: 'HIGH', mode: 'alert', reverted: null },
    });
    const alerts = (await h.call(null, 'GET', '/local/notifications')).json['alerts'] as Json[];
    expect(alerts.some((a) => a.subject.includes('untracked IAM change AttachUserPolicy on user/dave'))).toBe(true);
    // alert mode leaves IAM as it was
    expect((await h.call(null, 'GET', '/local/iam/users/dave')).json['attachedPolicies']).toContain(ADMIN_POLICY);
    h.local.iam.detachPolicy('user', 'dave', ADMIN_POLICY);
  });

  it("raises no anomaly for Grantline's own grant and revoke", async () => {
    const before = (await anomalies()).length;
    const req = await h.request('alice', { entitlement: 'prod-readonly', duration: 'PT5M', justification: 'look at logs' });
    await h.waitFor(req.id, ['EXPIRED'], 15_000);
    await h.local.monitoring.defaultBus.drain();
    const own = h.local.monitoring.defaultBus.deliveries.filter((d) => d.rule === 'iam-changes' && (d.result as Json | undefined)?.['requestId'] === req.id);
    expect(own).toHaveLength(1); // AttachUserPolicy, explained by the grant
    expect(own[0]).toMatchObject({ ok: true, result: { outcome: 'normal' } });
    expect(await anomalies()).toHaveLength(before);
  });

  it('calls a Grantline-shaped change by another role an anomaly', async () => {
    const event = cloudTrail('AttachUserPolicy', { userName: 'alice', policyArn: 'arn:aws:iam::aws:policy/ReadOnlyAccess' }, {
      type: 'AssumedRole',
      arn: 'arn:aws:sts::000000000000:assumed-role/not-grantline/mallory',
      accountId: '000000000000',
      sessionContext: { sessionIssuer: { type: 'Role', arn: 'arn:aws:iam::000000000000:role/not-grantline' } },
    });
    const injected = await h.call(null, 'POST', '/local/cloudtrail', event);
    expect(injected.json['deliveries'][0].result.outcome).toBe('anomaly');
  });

  it('flags a grantee acting outside its entitlement while the grant is active', async () => {
    const req = await h.request('alice', { entitlement: 'prod-deploy', duration: 'PT1H', justification: 'ship', ticket: 'INC-7' });
    await h.call('bob', 'POST', `/requests/${req.id}/approve`, {});
    await h.waitFor(req.id, ['ACTIVE']);
    const alice = { type: 'IAMUser', arn: arn('alice'), accountId: '000000000000', userName: 'alice' };
    const inside = await h.call(null, 'POST', '/local/cloudtrail', cloudTrail('UpdateFunctionCode20150331v2', { functionName: 'prod-api' }, alice, 'aws.lambda'));
    expect(inside.json['deliveries'][0].result.outcome).not.toBe('anomaly');
    const outside = await h.call(null, 'POST', '/local/cloudtrail', cloudTrail('DeleteFunction20150331', { functionName: 'prod-api' }, alice, 'aws.lambda'));
    expect(outside.json['deliveries']).toEqual([{ rule: 'in-window-watch', ok: true, result: expect.objectContaining({ outcome: 'anomaly' }) }]);
    const record = (await anomalies()).find((a) => a.detail.eventName === 'DeleteFunction20150331');
    expect(record!.detail).toMatchObject({ reasons: ['outside-entitlement'], severity: 'MEDIUM', requestIds: [req.id] });
    await h.call('alice', 'POST', `/requests/${req.id}/revoke`, {});
    await h.waitFor(req.id, ['REVOKED']);
  });

  it('lists anomalies to admins and approvers only, and checks the query', async () => {
    expect((await h.call('alice', 'GET', `/anomalies?since=${startedAt}`)).status).toBe(403);
    expect((await h.call('bob', 'GET', `/anomalies?since=${startedAt}`)).status).toBe(200);
    const bad = await h.call('carol', 'GET', '/anomalies?since=yesterday');
    expect(bad.status).toBe(400);
    expect(bad.json['error'].field).toMatch(/since/);
    expect((await h.call(null, 'GET', `/anomalies?since=${startedAt}`)).status).toBe(401);
  });

  it('rejects a CloudTrail body that is not an EventBridge CloudTrail event, naming the field', async () => {
    const event = cloudTrail('AttachUserPolicy', { userName: 'dave', policyArn: ADMIN_POLICY });
    const noName = { ...event, detail: { ...event.detail, eventName: undefined } };
    const r1 = await h.call(null, 'POST', '/local/cloudtrail', noName);
    expect(r1.status).toBe(400);
    expect(r1.json['error'].field).toBe('detail.eventName');
    const r2 = await h.call(null, 'POST', '/local/cloudtrail', { ...event, 'detail-type': 'Something Else' });
    expect(r2.status).toBe(400);
    expect(r2.json['error'].field).toBe('detail-type');
    const r3 = await h.call(null, 'POST', '/local/cloudtrail', 'not json', { 'content-type': 'text/plain' });
    expect([400, 415]).toContain(r3.status);
  });
});

describe('audit feed', () => {
  it('publishes every audit record on the grantline bus as "Grantline Audit Record"', async () => {
    const req = await h.request('alice', { entitlement: 'prod-deploy', duration: 'PT1H', justification: 'feed', ticket: 'INC-9' });
    await h.call('carol', 'POST', `/requests/${req.id}/deny`, { reason: 'no' });
    await h.waitFor(req.id, ['DENIED']);
    const audit = (await h.call('alice', 'GET', `/requests/${req.id}/audit`)).json['items'] as Json[];
    let feed: Json[] = [];
    for (let i = 0; i < 50 && feed.length < audit.length; i++) {
      await new Promise((r) => setTimeout(r, 20));
      const events = (await h.call(null, 'GET', '/local/events?bus=grantline&detailType=Grantline%20Audit%20Record&limit=1000')).json['items'] as Json[];
      feed = events.filter((e) => e.detail.requestId === req.id).reverse();
    }
    expect(feed.map((e) => [e.source, e.detail.seq, e.detail.action, e.detail.hash])).toEqual(audit.map((a) => ['grantline', a.seq, a.action, a.hash]));
    expect(feed.at(-1)!.detail).toMatchObject({ schemaVersion: 1, status: 'DENIED', principal: arn('alice'), entitlement: 'prod-deploy', prevHash: audit.at(-1)!.prevHash });
  });
});
