import { describe, expect, it } from 'vitest';
import { escalationFindings, wildcardMatch } from '../../../functions/catalog/checks.js';
import { PolicyDocument } from '../../../functions/catalog/schema.js';
import { checkProblems, first, inlinePolicy } from './builders.js';

const policy = (...Statement: unknown[]) => PolicyDocument.parse({ Statement });
const allow = (Action: string | string[], Resource: string | string[] = '*') => policy({ Effect: 'Allow', Action, Resource });

describe('escalationFindings', () => {
  it.each([
    ['*'],
    ['*:*'],
    ['iam:*'],
    ['iam:Put*'],
    ['IAM:putuserpolicy'],
    ['iam:Attach*Policy'],
    ['iam:?ut*'],
    ['iam:CreateAccessKey'],
    ['iam:UpdateAssumeRolePolicy'],
    ['organizations:*'],
    ['organizations:ListAccounts'],
  ])('flags %s', (action) => {
    expect(escalationFindings(allow(action))).toHaveLength(1);
  });

  it.each([
    ['s3:GetObject', '*'],
    ['lambda:UpdateFunctionCode', 'arn:aws:lambda:*:000000000000:function:prod-*'],
    ['iam:Get*', '*'],
    ['iam:List*', '*'],
    ['iam:PassRole', 'arn:aws:iam::000000000000:role/lambda-exec'],
    ['sts:AssumeRole', 'arn:aws:iam::000000000000:role/readonly-*'],
  ])('allows %s on %s', (action, resource) => {
    expect(escalationFindings(allow(action, resource))).toEqual([]);
  });

  it.each([
    ['iam:PassRole', '*'],
    ['iam:PassRole', 'arn:aws:iam::000000000000:role/*'],
    ['iam:Pass*', 'arn:aws:iam::*:*'],
    ['sts:AssumeRole', '*'],
    ['sts:*', 'arn:aws:iam::000000000000:role/*'],
  ])('flags %s on any role (%s)', (action, resource) => {
    expect(escalationFindings(allow(action, resource))).toEqual([expect.stringMatching(/\(any role: privilege escalation\)$/)]);
  });

  it('treats Allow with NotResource as any resource', () => {
    const doc = policy({ Effect: 'Allow', Action: 'iam:PassRole', NotResource: 'arn:aws:iam::000000000000:role/admin' });
    expect(escalationFindings(doc)).toHaveLength(1);
  });

  it('flags Allow with NotAction and ignores Deny statements', () => {
    const doc = policy({ Effect: 'Deny', Action: 'iam:*', Resource: '*' }, { Effect: 'Allow', NotAction: 's3:*', Resource: '*' });
    expect(escalationFindings(doc)).toEqual(['Statement[1]: Allow with NotAction allows every action it does not list (privilege escalation)']);
  });

  it('says which statement and which dangerous actions a pattern covers', () => {
    const doc = policy(
      { Effect: 'Allow', Action: ['s3:GetObject', 'iam:PutUserPolicy'], Resource: '*' },
      { Effect: 'Allow', Action: 'iam:Put*Policy', Resource: '*' },
      { Effect: 'Allow', Action: 'iam:PassRole', Resource: '*' },
    );
    expect(escalationFindings(doc)).toEqual([
      'Statement[0]: allows iam:PutUserPolicy (privilege escalation)',
      'Statement[1]: allows iam:Put*Policy, which includes iam:PutUserPolicy, iam:PutRolePolicy, iam:PutGroupPolicy (privilege escalation)',
      'Statement[2]: allows iam:PassRole on * (any role: privilege escalation)',
    ]);
  });

  it('matches IAM wildcards case-insensitively, * for any run and ? for one character', () => {
    expect(wildcardMatch('IAM:put*policy', 'iam:PutUserPolicy')).toBe(true);
    expect(wildcardMatch('iam:?utUserPolicy', 'iam:PutUserPolicy')).toBe(true);
    expect(wildcardMatch('iam:?UserPolicy', 'iam:PutUserPolicy')).toBe(false);
    expect(wildcardMatch('s3:*', 'iam:PutUserPolicy')).toBe(false);
  });
});

describe('the privilege-escalation guardrail on entitlements', () => {
  const escalating = inlinePolicy({ Effect: 'Allow', Action: 'iam:*', Resource: '*' });
  const SUFFIX = '; allowed only with breakGlass: true and approval.required >= 2';

  it('refuses an escalating policy on an ordinary entitlement', () => {
    const problems = checkProblems((input) => (first(input).grant = escalating));
    expect(problems).toEqual([
      `entitlements[0].grant.policy.Statement[0]: allows iam:*, which includes iam:PutUserPolicy, iam:PutRolePolicy, iam:PutGroupPolicy and 17 more (privilege escalation)${SUFFIX}`,
    ]);
  });

  it('still refuses it when break-glass needs only one approver', () => {
    const problems = checkProblems((input) => {
      first(input).grant = escalating;
      first(input).breakGlass = true;
    });
    expect(problems).toEqual([
      'entitlements[0].approval.required: break-glass entitlements need at least 2 approvers',
      expect.stringMatching(/^entitlements\[0\]\.grant\.policy\.Statement\[0\]: allows iam:\*/),
    ]);
  });

  it('accepts it when break-glass needs two approvers', () => {
    const problems = checkProblems((input) => {
      first(input).grant = escalating;
      first(input).breakGlass = true;
      first(input).approval.required = 2;
    });
    expect(problems).toEqual([]);
  });

  it.each([
    ['arn:aws:iam::aws:policy/AdministratorAccess', true],
    ['arn:aws:iam::aws:policy/IAMFullAccess', true],
    ['arn:aws-us-gov:iam::aws:policy/AdministratorAccess', true],
    ['arn:aws:iam::aws:policy/PowerUserAccess', false],
    ['arn:aws:iam::000000000000:policy/AdministratorAccess', false],
  ])('judges the managed policy %s by its name (escalating: %s)', (policyArn, flagged) => {
    const problems = checkProblems((input) => (first(input).grant = { type: 'managed-policy', policyArn }));
    expect(problems).toEqual(flagged ? [`entitlements[0].grant.policyArn: ${policyArn} allows privilege escalation${SUFFIX}`] : []);
  });

  it('cannot inspect a group grant offline, so finds nothing in it', () => {
    const problems = checkProblems((input) => (first(input).grant = { type: 'group', groupName: 'prod-admins' }));
    expect(problems).toEqual([]);
  });
});
