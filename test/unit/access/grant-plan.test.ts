import { describe, expect, it } from 'vitest';
import type { PolicyDocument } from '../../../functions/catalog/schema.js';
import { fencePolicy, inlinePolicyName, planGrant, planRevoke, sharedObjectKey } from '../../../functions/access/domain/grant-plan.js';
import { POLICIES, roleArn, userArn } from '../../helpers/catalog.js';
import { requestState } from '../../helpers/requests.js';

const EXPIRES = '2030-01-15T12:00:00.000Z';

const doc = (...Statement: PolicyDocument['Statement'][number][]): PolicyDocument => ({
  Version: '2012-10-17',
  Statement: Statement as PolicyDocument['Statement'],
});

describe('fencePolicy', () => {
  it('fences every statement with DateLessThan aws:CurrentTime', () => {
    // Prepare
    const policy = doc(
      { Effect: 'Allow', Action: 's3:GetObject', Resource: '*' },
      { Effect: 'Allow', Action: ['ec2:Describe*'], Resource: '*' },
    );

    // Act
    const fenced = fencePolicy(policy, EXPIRES);

    // Assess
    expect(fenced.Statement).toHaveLength(2);
    for (const statement of fenced.Statement) {
      expect(statement.Condition).toEqual({ DateLessThan: { 'aws:CurrentTime': EXPIRES } });
    }
  });

  it('merges the fence into an existing Condition block', () => {
    // Prepare
    const policy = doc({
      Effect: 'Allow',
      Action: 's3:GetObject',
      Resource: '*',
      Condition: { IpAddress: { 'aws:SourceIp': '10.0.0.0/8' }, DateLessThan: { 'aws:TokenIssueTime': '2030-01-01T00:00:00Z' } },
    });

    // Act
    const [statement] = fencePolicy(policy, EXPIRES).Statement;

    // Assess
    expect(statement.Condition).toEqual({
      IpAddress: { 'aws:SourceIp': '10.0.0.0/8' },
      DateLessThan: { 'aws:TokenIssueTime': '2030-01-01T00:00:00Z', 'aws:CurrentTime': EXPIRES },
    });
  });

  it('keeps an earlier fence that is already there', () => {
    const policy = doc({ Effect: 'Allow', Action: '*', Resource: '*', Condition: { DateLessThan: { 'aws:CurrentTime': '2030-01-15T11:00:00.000Z' } } });

    const [statement] = fencePolicy(policy, EXPIRES).Statement;

    expect(statement.Condition?.['DateLessThan']?.['aws:CurrentTime']).toBe('2030-01-15T11:00:00.000Z');
  });

  it('replaces a later fence with the request’s expiry', () => {
    const policy = doc({ Effect: 'Allow', Action: '*', Resource: '*', Condition: { DateLessThan: { 'aws:CurrentTime': '2031-01-01T00:00:00.000Z' } } });

    const [statement] = fencePolicy(policy, EXPIRES).Statement;

    expect(statement.Condition?.['DateLessThan']?.['aws:CurrentTime']).toBe(EXPIRES);
  });

  it('leaves the catalog’s document untouched', () => {
    // Prepare
    const policy = doc({ Effect: 'Allow', Action: '*', Resource: '*', Condition: { Bool: { 'aws:SecureTransport': 'true' } } });
    const before = structuredClone(policy);

    // Act
    fencePolicy(policy, EXPIRES);

    // Assess
    expect(policy).toEqual(before);
  });
});

describe('planGrant', () => {
  it('attaches a managed policy to the requesting user', () => {
    expect(planGrant(requestState(), EXPIRES)).toEqual({
      kind: 'managed-policy',
      principal: { type: 'user', name: 'alice' },
      policyArn: POLICIES.readOnly,
    });
  });

  it('attaches to the role of an assumed-role requester', () => {
    const change = planGrant(requestState({ principal: roleArn('ops') }), EXPIRES);

    expect(change.principal).toEqual({ type: 'role', name: 'ops' });
  });

  it('names inline policies per request and fences them', () => {
    // Prepare
    const grant = { type: 'inline-policy' as const, policy: doc({ Effect: 'Allow', Action: 's3:*', Resource: '*' }) };

    // Act
    const first = planGrant(requestState({ id: 'req-a', grant }), EXPIRES);
    const second = planGrant(requestState({ id: 'req-b', grant }), EXPIRES);

    // Assess
    expect(first).toMatchObject({ kind: 'inline-policy', policyName: 'grantline-req-a' });
    expect(second).toMatchObject({ kind: 'inline-policy', policyName: 'grantline-req-b' });
    expect(first.kind === 'inline-policy' && first.document.Statement[0].Condition).toEqual({ DateLessThan: { 'aws:CurrentTime': EXPIRES } });
  });

  it('keeps inline policy names within IAM’s 128 characters', () => {
    expect(inlinePolicyName('x'.repeat(200))).toHaveLength(128);
  });

  it('adds the user to the group of a group grant', () => {
    expect(planGrant(requestState({ grant: { type: 'group', groupName: 'BillingReaders' } }), EXPIRES)).toEqual({
      kind: 'group',
      principal: { type: 'user', name: 'alice' },
      groupName: 'BillingReaders',
    });
  });
});

describe('planRevoke', () => {
  const mine = requestState({ id: 'req-1', status: 'ACTIVE', expiresAt: EXPIRES });

  it('removes the object when nobody else holds it', () => {
    const { change, keptFor } = planRevoke(mine, []);

    expect(change).toMatchObject({ kind: 'managed-policy', policyArn: POLICIES.readOnly });
    expect(keptFor).toEqual([]);
  });

  it('keeps a managed policy another grant of the same principal still needs', () => {
    const other = requestState({ id: 'req-2', status: 'ACTIVE' });

    expect(planRevoke(mine, [other]).keptFor).toEqual(['req-2']);
  });

  it('keeps a group membership another grant still needs', () => {
    // Prepare
    const grant = { type: 'group' as const, groupName: 'BillingReaders' };

    // Act
    const { keptFor } = planRevoke({ ...mine, grant }, [requestState({ id: 'req-2', grant })]);

    // Assess
    expect(keptFor).toEqual(['req-2']);
  });

  it('does not count grants of another principal or another policy', () => {
    const others = [
      requestState({ id: 'req-2', principal: userArn('bob') }),
      requestState({ id: 'req-3', grant: { type: 'managed-policy', policyArn: POLICIES.admin } }),
    ];

    expect(planRevoke(mine, others).keptFor).toEqual([]);
  });

  it('never shares inline policies, which are per request', () => {
    const grant = { type: 'inline-policy' as const, policy: doc({ Effect: 'Allow', Action: 's3:*', Resource: '*' }) };

    expect(planRevoke({ ...mine, grant }, [requestState({ id: 'req-2', grant })]).keptFor).toEqual([]);
  });

  it('does not count the request itself', () => {
    expect(planRevoke(mine, [mine]).keptFor).toEqual([]);
  });

  it('keys shared objects by principal and object', () => {
    expect(sharedObjectKey(mine)).toBe(`${userArn('alice')}|policy|${POLICIES.readOnly}`);
  });
});
