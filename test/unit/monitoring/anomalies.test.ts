import { beforeEach, describe, expect, it } from 'vitest';
import { verifyChain } from '../../../functions/access/domain/audit-chain.js';
import { IamPermanentError } from '../../../functions/access/domain/errors.js';
import { inlinePolicyName } from '../../../functions/access/domain/grant-plan.js';
import type { GrantSpec } from '../../../functions/catalog/schema.js';
import { actionOf, observeChange } from '../../../functions/monitoring/domain/anomaly.js';
import { CloudTrailEvent } from '../../../functions/monitoring/schemas/cloudtrail.js';
import { type AnomalySettings, checkCloudTrailEvent } from '../../../functions/monitoring/use-cases/anomalies.js';
import { ARNS, POLICIES, userArn } from '../../helpers/catalog.js';
import { GRANTLINE_ROLES, IDENTITIES, monitoringTestDeps, type MonitoringTestDeps, seedRequest, trailEvent, type TrailOptions } from './helpers.js';

const ALERT: AnomalySettings = { mode: 'alert', grantlineRoles: GRANTLINE_ROLES };
const REVERT: AnomalySettings = { mode: 'revert', grantlineRoles: GRANTLINE_ROLES };

const READ_ONLY: GrantSpec = { type: 'managed-policy', policyArn: POLICIES.readOnly };
const S3_WRITE: GrantSpec = {
  type: 'inline-policy',
  policy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['s3:PutObject', 's3:GetObject'], Resource: 'arn:aws:s3:::prod-data/*' }] },
};

let deps: MonitoringTestDeps;

const check = (options: TrailOptions = {}, settings = ALERT) => checkCloudTrailEvent(deps, CloudTrailEvent.parse(trailEvent(options)), settings);

/** Mallory attaches AdministratorAccess to herself: nothing Grantline did. */
const untracked = (extra: TrailOptions = {}): TrailOptions => ({ eventId: 'evt-untracked', ...extra });

beforeEach(() => {
  deps = monitoringTestDeps();
});

describe('untracked IAM changes', () => {
  it('records an untracked AttachUserPolicy as an ANOMALY and alerts', async () => {
    const result = await check(untracked());

    expect(result.outcome).toBe('anomaly');
    const records = deps.audit.records('anomaly#evt-untracked');
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({
      requestId: 'anomaly#evt-untracked',
      seq: 1,
      kind: 'ANOMALY',
      action: 'ANOMALY',
      actor: userArn('mallory'),
      detail: {
        eventId: 'evt-untracked',
        eventName: 'AttachUserPolicy',
        eventSource: 'iam.amazonaws.com',
        actor: { arn: userArn('mallory'), type: 'IAMUser' },
        target: { type: 'user', name: 'mallory' },
        change: { policyArn: POLICIES.admin },
        reasons: ['untracked-change'],
        severity: 'HIGH',
        mode: 'alert',
        reverted: null,
        sourceIp: '203.0.113.7',
        region: 'us-east-1',
      },
    });
    expect(verifyChain(records)).toEqual({ verified: true, problems: [] });
    expect(deps.alerts.messages).toHaveLength(1);
    expect(deps.alerts.messages[0]!.subject).toBe('ALERT Grantline: untracked IAM change AttachUserPolicy on user/mallory');
    expect(deps.alerts.messages[0]!.message).toMatchObject({ type: 'Anomaly', severity: 'HIGH', eventId: 'evt-untracked', requestId: 'anomaly#evt-untracked' });
  });

  it('records an event delivered twice once, and alerts once', async () => {
    const first = await check(untracked());
    const second = await check(untracked());

    expect(first.outcome).toBe('anomaly');
    expect(second).toEqual({ outcome: 'duplicate', eventId: 'evt-untracked' });
    expect(deps.audit.anomalies()).toHaveLength(1);
    expect(deps.alerts.messages).toHaveLength(1);
  });

  it('records two concurrent deliveries of one event once', async () => {
    const results = await Promise.all([check(untracked()), check(untracked())]);

    expect(results.map((r) => r.outcome).sort()).toEqual(['anomaly', 'duplicate']);
    expect(deps.audit.anomalies()).toHaveLength(1);
  });

  it('tries again after a failed alert instead of losing it', async () => {
    deps.alerts.publish = async () => {
      throw new Error('SNS is down');
    };
    await expect(check(untracked())).rejects.toThrow('SNS is down');
    expect(deps.audit.anomalies()).toHaveLength(0);

    deps.alerts.publish = async (subject, message) => void deps.alerts.messages.push({ subject, message });
    await expect(check(untracked())).resolves.toMatchObject({ outcome: 'anomaly' });
    expect(deps.alerts.messages).toHaveLength(1);
  });

  it('ignores failed calls (errorCode set) without a record', async () => {
    const result = await check(untracked({ errorCode: 'AccessDenied' }));

    expect(result).toEqual({ outcome: 'ignored', eventId: 'evt-untracked', reason: 'failed-call' });
    expect(deps.audit.appends).toBe(0);
    expect(deps.alerts.messages).toHaveLength(0);
  });

  it('ignores IAM calls that are not on the watch list', async () => {
    const result = await check({ eventName: 'DetachUserPolicy', requestParameters: { userName: 'mallory', policyArn: POLICIES.admin } });

    expect(result).toMatchObject({ outcome: 'ignored', reason: 'not-watched' });
    expect(deps.audit.appends).toBe(0);
  });

  it('still records a watched call whose record lacks the target', async () => {
    const result = await check(untracked({ requestParameters: null }));

    expect(result.outcome).toBe('anomaly');
    expect(deps.audit.anomalies()[0]!.detail).toMatchObject({ target: { type: 'user', name: '(unknown)' } });
  });
});

describe("Grantline's own changes", () => {
  it('is normal when a Grantline role attaches the policy of an ACTIVE grant', async () => {
    const request = await seedRequest(deps, { id: 'req-ro', principal: ARNS.alice, grant: READ_ONLY, entitlement: 'prod-read', status: 'ACTIVE' });

    const result = await check({ identity: IDENTITIES.grantline, requestParameters: { userName: 'alice', policyArn: POLICIES.readOnly } });

    expect(result).toMatchObject({ outcome: 'normal', requestId: request.id });
    expect(deps.audit.anomalies()).toHaveLength(0);
    expect(deps.alerts.messages).toHaveLength(0);
  });

  it("is normal when a Grantline role puts a request's own grantline-<id> inline policy", async () => {
    await seedRequest(deps, { id: 'req-s3', principal: ARNS.alice, grant: S3_WRITE, entitlement: 'prod-admin', status: 'APPROVED' });

    const result = await check({
      eventName: 'PutUserPolicy',
      identity: IDENTITIES.grantline,
      requestParameters: { userName: 'alice', policyName: inlinePolicyName('req-s3'), policyDocument: JSON.stringify(S3_WRITE.policy) },
    });

    expect(result).toMatchObject({ outcome: 'normal', requestId: 'req-s3' });
  });

  it('is normal when the grant has already expired by the time CloudTrail delivers the event', async () => {
    await seedRequest(deps, { id: 'req-short', principal: ARNS.alice, grant: READ_ONLY, entitlement: 'prod-read', status: 'EXPIRED', ageSeconds: 7200 });

    const result = await check({
      identity: IDENTITIES.grantline,
      eventTime: new Date(deps.clock().getTime() - 7000 * 1000).toISOString(),
      requestParameters: { userName: 'alice', policyArn: POLICIES.readOnly },
    });

    expect(result).toMatchObject({ outcome: 'normal', requestId: 'req-short' });
  });

  it('is an anomaly when a Grantline role makes a change no holding request planned', async () => {
    await seedRequest(deps, { id: 'req-ro', principal: ARNS.alice, grant: READ_ONLY, entitlement: 'prod-read', status: 'ACTIVE' });

    const result = await check({ eventId: 'evt-rogue', identity: IDENTITIES.grantline, requestParameters: { userName: 'alice', policyArn: POLICIES.admin } });

    expect(result.outcome).toBe('anomaly');
    expect(deps.audit.records('anomaly#evt-rogue')[0]).toMatchObject({
      actor: IDENTITIES.grantline.arn,
      reason: expect.stringContaining('no request that holds access planned this change'),
      detail: { actor: { type: 'AssumedRole', issuer: IDENTITIES.grantline.sessionContext.sessionIssuer.arn } },
    });
    expect(deps.alerts.messages).toHaveLength(1);
  });

  it('is an anomaly when the matching grant belongs to another principal', async () => {
    await seedRequest(deps, { id: 'req-ro', principal: ARNS.alice, grant: READ_ONLY, entitlement: 'prod-read', status: 'ACTIVE' });

    const result = await check({ identity: IDENTITIES.grantline, requestParameters: { userName: 'bob', policyArn: POLICIES.readOnly } });

    expect(result.outcome).toBe('anomaly');
  });

  it('is an anomaly when a Grantline role makes a kind of change Grantline never makes', async () => {
    const result = await check({ eventName: 'AttachGroupPolicy', identity: IDENTITIES.grantline, requestParameters: { groupName: 'admins', policyArn: POLICIES.admin } });

    expect(result).toMatchObject({ outcome: 'anomaly' });
    expect((result as { record: { reason: string } }).record.reason).toContain('Grantline never calls AttachGroupPolicy');
  });

  it("is an anomaly when someone else makes the same change as a Grantline grant", async () => {
    await seedRequest(deps, { id: 'req-ro', principal: ARNS.alice, grant: READ_ONLY, entitlement: 'prod-read', status: 'ACTIVE' });

    const result = await check({ requestParameters: { userName: 'alice', policyArn: POLICIES.readOnly } });

    expect(result.outcome).toBe('anomaly');
  });
});

describe('revert mode', () => {
  it('detaches an untracked attachment and records what it undid', async () => {
    const result = await check(untracked(), REVERT);

    expect(deps.remediator.undone).toEqual([{ action: 'DetachPolicy', target: { type: 'user', name: 'mallory' }, policyArn: POLICIES.admin }]);
    expect(result).toMatchObject({ outcome: 'anomaly', reverted: { done: true, changed: true, api: 'DetachUserPolicy', userName: 'mallory', policyArn: POLICIES.admin } });
    expect(deps.audit.records('anomaly#evt-untracked')[0]!.detail).toMatchObject({ mode: 'revert', reverted: { done: true, api: 'DetachUserPolicy' } });
    expect(deps.alerts.messages[0]!.message).toMatchObject({ reverted: { done: true } });
  });

  it('does not revert twice when the event is delivered twice', async () => {
    await check(untracked(), REVERT);
    await check(untracked(), REVERT);

    expect(deps.remediator.undone).toHaveLength(1);
  });

  it.each([
    ['PutUserPolicy', { userName: 'mallory', policyName: 'backdoor', policyDocument: '{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}' }, { action: 'DeleteInlinePolicy', target: { type: 'user', name: 'mallory' }, policyName: 'backdoor' }],
    ['AddUserToGroup', { userName: 'mallory', groupName: 'admins' }, { action: 'RemoveUserFromGroup', userName: 'mallory', groupName: 'admins' }],
    ['AttachRolePolicy', { roleName: 'deployer', policyArn: POLICIES.admin }, { action: 'DetachPolicy', target: { type: 'role', name: 'deployer' }, policyArn: POLICIES.admin }],
    ['CreateLoginProfile', { userName: 'mallory', passwordResetRequired: false }, { action: 'DeleteLoginProfile', userName: 'mallory' }],
  ])('undoes %s', async (eventName, requestParameters, expected) => {
    await check({ eventName, requestParameters }, REVERT);

    expect(deps.remediator.undone).toEqual([expected]);
  });

  it('deactivates an untracked access key', async () => {
    await check(
      {
        eventName: 'CreateAccessKey',
        requestParameters: { userName: 'mallory' },
        responseElements: { accessKey: { accessKeyId: 'AKIANEWKEY', status: 'Active', userName: 'mallory', createDate: 'Jan 15, 2030 9:59:40 AM' } },
      },
      REVERT,
    );

    expect(deps.remediator.undone).toEqual([{ action: 'DeactivateAccessKey', userName: 'mallory', accessKeyId: 'AKIANEWKEY' }]);
  });

  it('records why a change without a safe inverse was left in place', async () => {
    const result = await check({ eventName: 'UpdateAssumeRolePolicy', requestParameters: { roleName: 'deployer', policyDocument: '{}' } }, REVERT);

    expect(deps.remediator.undone).toEqual([]);
    expect(result).toMatchObject({ outcome: 'anomaly', reverted: { done: false, why: expect.stringContaining('not in the event') } });
  });

  it('leaves an object that a Grantline grant also holds', async () => {
    await seedRequest(deps, { id: 'req-ro', principal: ARNS.alice, grant: READ_ONLY, entitlement: 'prod-read', status: 'ACTIVE' });

    const result = await check({ requestParameters: { userName: 'alice', policyArn: POLICIES.readOnly } }, REVERT);

    expect(deps.remediator.undone).toEqual([]);
    expect(result).toMatchObject({ outcome: 'anomaly', reverted: { done: false, why: expect.stringContaining('req-ro') } });
  });

  it('records a revert that IAM refused, and still alerts', async () => {
    deps.remediator.failNext(new IamPermanentError('DetachUserPolicy: AccessDenied: not allowed'));

    const result = await check(untracked(), REVERT);

    expect(result).toMatchObject({ outcome: 'anomaly', reverted: { done: false, api: 'DetachUserPolicy', error: expect.stringContaining('AccessDenied') } });
    expect(deps.alerts.messages).toHaveLength(1);
  });
});

describe('in-window watch', () => {
  const deleteBucket = (extra: TrailOptions = {}): TrailOptions => ({
    eventId: 'evt-s3',
    eventSource: 's3.amazonaws.com',
    eventName: 'DeleteBucket',
    identity: IDENTITIES.alice,
    requestParameters: { bucketName: 'prod-data' },
    eventTime: '2030-01-15T10:00:30Z',
    ...extra,
  });

  it("records a grantee's call outside the grant's actions on the request and as an anomaly", async () => {
    await seedRequest(deps, { id: 'req-s3', principal: ARNS.alice, grant: S3_WRITE, entitlement: 'prod-admin', status: 'ACTIVE' });

    const result = await check(deleteBucket());

    expect(result).toMatchObject({ outcome: 'anomaly', reasons: ['outside-entitlement'], requestIds: ['req-s3'] });
    const chain = deps.audit.records('req-s3');
    expect(chain.map((r) => r.action)).toEqual(['REQUESTED', 'GRANTED', 'ANOMALY']);
    expect(chain[2]).toMatchObject({ actor: ARNS.alice, detail: { eventId: 'evt-s3', anomaly: 'anomaly#evt-s3' }, state: { status: 'ACTIVE' } });
    expect(verifyChain(chain).verified).toBe(true);
    expect(deps.audit.records('anomaly#evt-s3')[0]!.detail).toMatchObject({ severity: 'MEDIUM', requestIds: ['req-s3'], target: { type: 'action', name: 's3:DeleteBucket' } });
    expect(deps.alerts.messages[0]!.subject).toBe('Grantline: call outside a grant DeleteBucket on action/s3:DeleteBucket');
  });

  it('adds the call to the request once when the event is delivered twice', async () => {
    await seedRequest(deps, { id: 'req-s3', principal: ARNS.alice, grant: S3_WRITE, entitlement: 'prod-admin', status: 'ACTIVE' });

    await check(deleteBucket());
    await check(deleteBucket());

    expect(deps.audit.actions('req-s3')).toEqual(['REQUESTED', 'GRANTED', 'ANOMALY']);
    expect(deps.alerts.messages).toHaveLength(1);
  });

  it('lets calls inside the declared actions pass', async () => {
    await seedRequest(deps, { id: 'req-s3', principal: ARNS.alice, grant: S3_WRITE, entitlement: 'prod-admin', status: 'ACTIVE' });

    const result = await check(deleteBucket({ eventName: 'PutObject' }));

    expect(result).toMatchObject({ outcome: 'ignored', reason: 'not-watched' });
    expect(deps.audit.actions('req-s3')).toEqual(['REQUESTED', 'GRANTED']);
  });

  it('does not judge grants whose actions it cannot know (managed policies)', async () => {
    await seedRequest(deps, { id: 'req-ro', principal: ARNS.alice, grant: READ_ONLY, entitlement: 'prod-read', status: 'ACTIVE' });

    await expect(check(deleteBucket())).resolves.toMatchObject({ outcome: 'ignored' });
  });

  it('marks an untracked IAM change by a grantee with both reasons', async () => {
    await seedRequest(deps, { id: 'req-s3', principal: ARNS.alice, grant: S3_WRITE, entitlement: 'prod-admin', status: 'ACTIVE' });

    const result = await check({ identity: IDENTITIES.alice, eventTime: '2030-01-15T10:00:30Z', requestParameters: { userName: 'alice', policyArn: POLICIES.admin } });

    expect(result).toMatchObject({ outcome: 'anomaly', reasons: ['untracked-change', 'outside-entitlement'], requestIds: ['req-s3'] });
  });

  it('ignores calls made before the grant', async () => {
    await seedRequest(deps, { id: 'req-s3', principal: ARNS.alice, grant: S3_WRITE, entitlement: 'prod-admin', status: 'ACTIVE' });

    const result = await check(deleteBucket({ eventTime: new Date(deps.clock().getTime() - 60_000).toISOString() }));

    expect(result.outcome).toBe('ignored');
  });
});

describe('observeChange', () => {
  const observe = (eventName: string, requestParameters: Record<string, unknown>) =>
    observeChange(CloudTrailEvent.parse(trailEvent({ eventName, requestParameters })));

  it('decodes policy documents in the change', () => {
    const document = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] };

    expect(observe('PutRolePolicy', { roleName: 'r', policyName: 'p', policyDocument: JSON.stringify(document) })?.change).toEqual({ policyName: 'p', policyDocument: document });
    expect(observe('PutRolePolicy', { roleName: 'r', policyName: 'p', policyDocument: encodeURIComponent(JSON.stringify(document)) })?.change).toEqual({
      policyName: 'p',
      policyDocument: document,
    });
  });

  it('keys the objects Grantline creates the way grants are keyed', () => {
    expect(observe('AddUserToGroup', { userName: 'alice', groupName: 'BillingReaders' })?.grant).toEqual({
      principal: ARNS.alice,
      key: `${ARNS.alice}|group|BillingReaders`,
    });
    expect(observe('CreatePolicyVersion', { policyArn: 'arn:aws:iam::000000000000:policy/p', setAsDefault: true })).toMatchObject({
      target: { type: 'policy', name: 'arn:aws:iam::000000000000:policy/p' },
      grant: null,
    });
  });
});

describe('actionOf', () => {
  it('drops the API version some services put in event names', () => {
    expect(actionOf({ eventSource: 'lambda.amazonaws.com', eventName: 'UpdateFunctionCode20150331v2' })).toBe('lambda:UpdateFunctionCode');
    expect(actionOf({ eventSource: 'lambda.amazonaws.com', eventName: 'DeleteFunction20150331' })).toBe('lambda:DeleteFunction');
    expect(actionOf({ eventSource: 's3.amazonaws.com', eventName: 'PutBucketPolicy' })).toBe('s3:PutBucketPolicy');
  });
});
