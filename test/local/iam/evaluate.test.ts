import { SimulatePrincipalPolicyCommand } from '@aws-sdk/client-iam';
import { beforeEach, describe, expect, it } from 'vitest';
import { SimulatedIamAccount, simulateAccess } from '../../../local/iam/index.js';
import { ADMIN, READ_ONLY, rejectionOf, simulatedClient } from './client.js';

const ALICE = 'arn:aws:iam::000000000000:user/alice';

describe('simulateAccess', () => {
  let now: Date;
  let account: SimulatedIamAccount;

  beforeEach(() => {
    now = new Date('2030-01-01T12:00:00Z');
    account = new SimulatedIamAccount({ clock: () => now });
    account.createUser('alice');
  });

  it('allows s3:GetObject through ReadOnlyAccess and denies it implicitly once detached', async () => {
    const query = { principal: ALICE, action: 's3:GetObject', resource: 'arn:aws:s3:::reports/q1.csv' };
    account.attachUserPolicy('alice', READ_ONLY);

    const attached = await simulateAccess(account, query);
    account.detachUserPolicy('alice', READ_ONLY);
    const detached = await simulateAccess(account, query);

    expect(attached).toBe('allowed');
    expect(detached).toBe('implicitDeny');
  });

  it('stops allowing an inline grant fenced with DateLessThan aws:CurrentTime after the fence', async () => {
    const fence = '2030-01-01T13:00:00Z';
    account.putUserPolicy('alice', 'grantline-req-1', {
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Action: 'lambda:InvokeFunction', Resource: '*', Condition: { DateLessThan: { 'aws:CurrentTime': fence } } },
      ],
    });
    const query = { principal: ALICE, action: 'lambda:InvokeFunction', resource: 'arn:aws:lambda:us-east-1:000000000000:function:f' };

    const before = await simulateAccess(account, { ...query, at: new Date('2030-01-01T12:59:59Z') });
    const after = await simulateAccess(account, { ...query, at: new Date('2030-01-01T13:00:01Z') });
    now = new Date('2030-01-01T14:00:00Z');
    const byClock = await simulateAccess(account, query);

    expect(before).toBe('allowed');
    expect(after).toBe('implicitDeny');
    expect(byClock).toBe('implicitDeny');
  });

  it('grants through group membership: AdministratorAccess on a group allows iam:CreateUser', async () => {
    account.createGroup('prod-admins');
    account.attachGroupPolicy('prod-admins', ADMIN);
    const query = { principal: ALICE, action: 'iam:CreateUser', resource: 'arn:aws:iam::000000000000:user/bob' };

    const outside = await simulateAccess(account, query);
    account.addUserToGroup('alice', 'prod-admins');
    const member = await simulateAccess(account, query);

    expect(outside).toBe('implicitDeny');
    expect(member).toBe('allowed');
  });

  it('returns explicitDeny when a Deny statement matches, whatever else allows', async () => {
    account.attachUserPolicy('alice', ADMIN);
    account.putUserPolicy('alice', 'no-secrets', {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Deny', Action: 's3:*', Resource: 'arn:aws:s3:::secrets/*' }],
    });

    const decision = await simulateAccess(account, { principal: ALICE, action: 's3:GetObject', resource: 'arn:aws:s3:::secrets/key' });

    expect(decision).toBe('explicitDeny');
  });

  it('evaluates a role and a session of it by the role\'s policies', async () => {
    const role = account.createRole('deployer');
    account.attachRolePolicy('deployer', READ_ONLY);

    const asRole = await simulateAccess(account, { principal: role.arn, action: 'ec2:DescribeInstances', resource: '*' });
    const asSession = await simulateAccess(account, {
      principal: 'arn:aws:sts::000000000000:assumed-role/deployer/ci',
      action: 'ec2:TerminateInstances',
      resource: '*',
    });

    expect(asRole).toBe('allowed');
    expect(asSession).toBe('implicitDeny');
  });

  it('fills aws:username and aws:PrincipalArn and lets the caller add context', async () => {
    account.putUserPolicy('alice', 'own-prefix', {
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Action: 's3:GetObject',
          Resource: 'arn:aws:s3:::home/${aws:username}/*',
          Condition: { StringEquals: { 'aws:PrincipalArn': ALICE }, IpAddress: { 'aws:SourceIp': '10.0.0.0/8' } },
        },
      ],
    });
    const query = { principal: ALICE, action: 's3:GetObject', resource: 'arn:aws:s3:::home/alice/notes.txt' };

    const inside = await simulateAccess(account, { ...query, context: { 'aws:SourceIp': '10.1.2.3' } });
    const outside = await simulateAccess(account, { ...query, context: { 'aws:SourceIp': '192.0.2.1' } });

    expect(inside).toBe('allowed');
    expect(outside).toBe('implicitDeny');
  });

  it('throws NoSuchEntity for an unknown principal', async () => {
    const error = await rejectionOf(
      simulateAccess(account, { principal: 'arn:aws:iam::000000000000:user/nobody', action: 's3:GetObject', resource: '*' }),
    );

    expect(error.name).toBe('NoSuchEntityException');
  });

  it('throws InvalidInput for an action IAM does not know', async () => {
    const error = await rejectionOf(simulateAccess(account, { principal: ALICE, action: 'nosuch:Thing', resource: '*' }));

    expect(error.name).toBe('InvalidInputException');
  });
});

describe('SimulatePrincipalPolicy through the client', () => {
  it('returns one EvaluationResult per action and resource, honouring an aws:CurrentTime context entry', async () => {
    const account = new SimulatedIamAccount({ clock: () => new Date('2030-01-01T12:00:00Z') });
    account.createUser('alice');
    account.attachUserPolicy('alice', READ_ONLY);
    account.putUserPolicy('alice', 'fenced', {
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Action: 'sns:Publish', Resource: '*', Condition: { DateLessThan: { 'aws:CurrentTime': '2030-01-01T13:00:00Z' } } },
      ],
    });
    const iam = simulatedClient(account);

    const now = await iam.send(
      new SimulatePrincipalPolicyCommand({ PolicySourceArn: ALICE, ActionNames: ['s3:GetObject', 's3:PutObject', 'sns:Publish'] }),
    );
    const later = await iam.send(
      new SimulatePrincipalPolicyCommand({
        PolicySourceArn: ALICE,
        ActionNames: ['sns:Publish'],
        ContextEntries: [{ ContextKeyName: 'aws:CurrentTime', ContextKeyType: 'date', ContextKeyValues: ['2030-01-01T14:00:00Z'] }],
      }),
    );

    expect(now.EvaluationResults?.map((result) => [result.EvalActionName, result.EvalResourceName, result.EvalDecision])).toEqual([
      ['s3:GetObject', '*', 'allowed'],
      ['s3:PutObject', '*', 'implicitDeny'],
      ['sns:Publish', '*', 'allowed'],
    ]);
    expect(now.IsTruncated).toBe(false);
    expect(later.EvaluationResults?.[0]?.EvalDecision).toBe('implicitDeny');
  });
});
