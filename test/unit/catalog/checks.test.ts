import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { checkCatalog } from '../../../functions/catalog/checks.js';
import { parseCatalog } from '../../../functions/catalog/loader.js';
import { checkProblems, first, inlinePolicy, role, session, user } from './builders.js';

describe('checkCatalog', () => {
  it('finds nothing wrong with the example catalog', () => {
    const { catalog } = parseCatalog(readFileSync('catalog/example.yaml', 'utf8'));
    expect(checkCatalog(catalog)).toEqual([]);
  });

  it('reports unknown group references wherever they appear', () => {
    // Act
    const problems = checkProblems((input) => {
      input.admins = ['root'];
      first(input).eligible = ['developers', 'devs'];
      first(input).approval.approvers = ['leads'];
      first(input).approval.auto = { groups: ['on-call'], maxDuration: 'PT1H' };
    });

    // Assess
    expect(problems).toEqual([
      'admins[0]: unknown group "root"',
      'entitlements[0].eligible[1]: unknown group "devs"',
      'entitlements[0].approval.approvers[0]: unknown group "leads"',
      'entitlements[0].approval.auto.groups[0]: unknown group "on-call"',
      // with no approver group left, nobody can approve
      'entitlements[0].approval.required: 1 distinct approvers needed, but the approver groups have only 0 distinct members',
    ]);
  });

  it('refuses duplicate entitlement ids', () => {
    const problems = checkProblems((input) => input.entitlements.push({ ...first(input) }));
    expect(problems).toEqual(['entitlements[1].id: duplicate id "prod-read" (also entitlements[0])']);
  });

  it('refuses group members from another account', () => {
    const problems = checkProblems((input) => input.groups['developers']!.push('arn:aws:iam::111111111111:user/eve'));
    expect(problems).toEqual(['groups.developers[1]: arn:aws:iam::111111111111:user/eve is not in account 000000000000']);
  });

  describe('approver pool', () => {
    it('refuses a required count the approvers left after the requester cannot meet', () => {
      // Prepare: bob may request and approve; without him only carol remains
      const problems = checkProblems((input) => {
        input.groups['developers'] = [user('alice'), user('bob')];
        first(input).approval.required = 2;
      });

      // Assess
      expect(problems).toEqual([
        `entitlements[0].approval.required: 2 distinct approvers needed, but only 1 remains when ${user('bob')} requests (nobody approves their own request)`,
      ]);
    });

    it('accepts the same count when no requester is an approver', () => {
      expect(checkProblems((input) => (first(input).approval.required = 2))).toEqual([]);
    });

    it('counts a person in two approver groups once', () => {
      const problems = checkProblems((input) => {
        first(input).approval.approvers = ['sre-leads', 'admins'];
        first(input).approval.required = 3;
      });
      expect(problems).toEqual(['entitlements[0].approval.required: 3 distinct approvers needed, but the approver groups have only 2 distinct members']);
    });

    it('agrees with the domain that sessions of the requester’s role never approve them', () => {
      const problems = checkProblems((input) => {
        input.groups['developers'] = [session('Engineer', 'alice')];
        input.groups['sre-leads'] = [session('Engineer', 'bob'), session('Engineer', 'carol')];
      });
      expect(problems).toEqual([
        `entitlements[0].approval.required: 1 distinct approvers needed, but only 0 remain when ${session('Engineer', 'alice')} requests (nobody approves their own request)`,
      ]);
    });

    it('refuses an entitlement with neither approvers nor an auto rule', () => {
      const problems = checkProblems((input) => (first(input).approval = { approvers: [] }));
      expect(problems).toEqual(['entitlements[0].approval: needs approvers or an auto rule, or no request could ever be approved']);
    });
  });

  it('refuses an auto rule that allows longer than the entitlement', () => {
    const problems = checkProblems((input) => (first(input).approval.auto = { groups: ['developers'], maxDuration: 'PT3H' }));
    expect(problems).toEqual(["entitlements[0].approval.auto.maxDuration: PT3H exceeds the entitlement's maxDuration PT2H"]);
  });

  it('refuses break-glass entitlements with fewer than two approvers or an auto rule', () => {
    const problems = checkProblems((input) => {
      first(input).breakGlass = true;
      first(input).approval.auto = { groups: ['developers'], maxDuration: 'PT1H' };
    });
    expect(problems).toEqual([
      'entitlements[0].approval.auto: break-glass entitlements are never auto-approved; remove the rule',
      'entitlements[0].approval.required: break-glass entitlements need at least 2 approvers',
    ]);
  });

  it('refuses a group grant to an eligible group holding roles, which cannot join IAM groups', () => {
    const problems = checkProblems((input) => {
      input.groups['ci'] = [role('deployer')];
      first(input).grant = { type: 'group', groupName: 'readers' };
      first(input).eligible = ['developers', 'ci'];
    });
    expect(problems).toEqual([
      `entitlements[0].eligible[1]: group "ci" includes ${role('deployer')}, but a group grant needs IAM users (roles cannot join IAM groups)`,
    ]);
  });

  describe('inline policies', () => {
    it('refuses actions and resources that are not IAM-shaped, naming the list index', () => {
      const problems = checkProblems((input) => {
        first(input).grant = inlinePolicy(
          { Effect: 'Allow', Action: ['s3:GetObject', 'GetObject'], Resource: 'my-bucket' },
          { Effect: 'Deny', Action: '*:*', Resource: ['*', 'arn:aws:s3:::logs/*'] },
        );
      });
      expect(problems).toEqual([
        'entitlements[0].grant.policy.Statement[0].Action[1]: "GetObject" is not an IAM action like service:Action',
        'entitlements[0].grant.policy.Statement[0].Resource: "my-bucket" is not an ARN or "*"',
      ]);
    });

    it('refuses Sids IAM rejects: not alphanumeric, or repeated', () => {
      const problems = checkProblems((input) => {
        const read = { Effect: 'Allow', Action: 's3:GetObject', Resource: '*' };
        first(input).grant = inlinePolicy({ ...read, Sid: 'Read' }, { ...read, Sid: 'Read' }, { ...read, Sid: 'read-logs' });
      });
      expect(problems).toEqual([
        'entitlements[0].grant.policy.Statement[1].Sid: duplicate Sid "Read" (also Statement[0])',
        'entitlements[0].grant.policy.Statement[2].Sid: "read-logs" may hold only letters and digits',
      ]);
    });

    it('applies IAM’s 2,048-character limit when users may hold the policy, 10,240 for roles only', () => {
      // Prepare: ~3,000 characters of policy
      const resources = Array.from({ length: 60 }, (_, i) => `arn:aws:s3:::prod-data-bucket-${i}/*`);
      const bigPolicy = inlinePolicy({ Effect: 'Allow', Action: 's3:GetObject', Resource: resources });

      // Act
      const forUsers = checkProblems((input) => (first(input).grant = bigPolicy));
      const forRoles = checkProblems((input) => {
        input.groups['developers'] = [role('analyst')];
        first(input).grant = bigPolicy;
      });

      // Assess
      expect(forUsers).toEqual([expect.stringMatching(/^entitlements\[0\]\.grant\.policy: \d+ characters is over IAM's inline policy limit of 2048 for users/)]);
      expect(forRoles).toEqual([]);
    });
  });
});
