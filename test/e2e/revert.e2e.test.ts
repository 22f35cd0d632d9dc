import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, arn, startHarness } from './harness.js';

const ADMIN_POLICY = 'arn:aws:iam::aws:policy/AdministratorAccess';
let r: Harness;

beforeAll(async () => {
  r = await startHarness({ timeScale: 600, catalogFile: 'test/fixtures/catalogs/e2e.yaml', schedules: false, anomalyMode: 'revert' });
});
afterAll(async () => {
  await r?.local.stop();
});

const attachEvent = (time: string, userName: string, policyArn: string) => ({
  version: '0',
  id: randomUUID(),
  'detail-type': 'AWS API Call via CloudTrail',
  source: 'aws.iam',
  account: '000000000000',
  time,
  region: 'us-east-1',
  resources: [],
  detail: {
    eventVersion: '1.09',
    eventID: randomUUID(),
    eventTime: time,
    eventName: 'AttachUserPolicy',
    eventSource: 'iam.amazonaws.com',
    awsRegion: 'us-east-1',
    userIdentity: { type: 'IAMUser', arn: arn('dave'), accountId: '000000000000', userName: 'dave' },
    requestParameters: { userName, policyArn },
    responseElements: null,
  },
});

describe('revert mode', () => {
  it('undoes an untracked attachment and records what it undid', async () => {
    r.local.iam.attachPolicy('user', 'dave', ADMIN_POLICY);
    const injected = await r.call(null, 'POST', '/local/cloudtrail', attachEvent(r.local.clock.now().toISOString(), 'dave', ADMIN_POLICY));
    expect(injected.json['deliveries'][0].result.outcome).toBe('anomaly');
    expect((await r.call(null, 'GET', '/local/iam/users/dave')).json['attachedPolicies']).not.toContain(ADMIN_POLICY);
    const [record] = (await r.call('carol', 'GET', '/anomalies?since=2000-01-01T00:00:00Z')).json['items'];
    expect(record.detail.mode).toBe('revert');
    expect(record.detail.reverted).toMatchObject({ done: true, changed: true });
  });

  it('does not take away an attachment a live grant needs', async () => {
    const req = await r.request('alice', { entitlement: 'prod-readonly', duration: 'PT30M', justification: 'logs' });
    await r.waitFor(req.id, ['ACTIVE']);
    const policy = 'arn:aws:iam::aws:policy/ReadOnlyAccess';
    const injected = await r.call(null, 'POST', '/local/cloudtrail', attachEvent(r.local.clock.now().toISOString(), 'alice', policy));
    expect(injected.json['deliveries'][0].result.outcome).toBe('anomaly');
    expect((await r.call(null, 'GET', '/local/iam/users/alice')).json['attachedPolicies']).toContain(policy);
    const records = (await r.call('carol', 'GET', '/anomalies?since=2000-01-01T00:00:00Z')).json['items'];
    expect(records[0].detail.reverted).toMatchObject({ done: false, why: expect.stringContaining(req.id) });
  });
});
