import { describe, expect, it } from 'vitest';
import { Catalog } from '../../functions/catalog/schema.js';
import { IAM_ACTIONS, iamScope, iamStatements, MAX_IAM_STATEMENTS_CHARS, pathWildcards } from '../../infra/iam-scope.js';
import { ACCOUNT, fixtureCatalog } from './helpers.js';

const iam = (type: string, name: string) => [`arn:aws:iam::${ACCOUNT}:${type}/${name}`, `arn:aws:iam::${ACCOUNT}:${type}/*/${name}`];
const json = (statements: ReturnType<typeof iamStatements>) => statements.map((s) => s.toStatementJson() as Record<string, unknown>);

describe('iamScope', () => {
  const scope = iamScope(fixtureCatalog().catalog);

  it('covers the principals eligible for managed policies, with and without an IAM path', () => {
    expect(scope.managedPolicy.principals.users).toEqual([...iam('user', 'alice'), ...iam('user', 'bob')].sort());
    // A role member and an Identity Center session both grant on the role.
    expect(scope.managedPolicy.principals.roles).toEqual([...iam('role', 'AWSReservedSSO_Sre_0123456789abcdef'), ...iam('role', 'SreOnCall')].sort());
    expect(scope.managedPolicy.policyArns).toEqual(['arn:aws:iam::111122223333:policy/grantline/ProdSupport', 'arn:aws:iam::aws:policy/ReadOnlyAccess']);
  });

  it('keeps each kind of grant to the principals eligible for that kind', () => {
    expect(scope.inlinePolicy.principals.users).toEqual([]);
    expect(scope.inlinePolicy.principals.roles).toContain(`arn:aws:iam::${ACCOUNT}:role/SreOnCall`);
    expect(scope.group.users).toEqual(iam('user', 'dora').sort());
    expect(scope.group.groupArns).toEqual(iam('group', 'BillingReaders').sort());
  });

  it('leaves out principals who are eligible for nothing', () => {
    const all = JSON.stringify(scope);
    expect(all).not.toContain('erin'); // an approver, not eligible
    expect(all).not.toContain('mallory');
  });

  it('reports the path wildcards, which match one named entity each', () => {
    const wildcards = pathWildcards(scope);
    expect(wildcards.length).toBeGreaterThan(0);
    for (const arn of wildcards) expect(arn).toMatch(/^arn:aws:iam::111122223333:(user|role|group)\/\*\/[\w+=,.@-]+$/);
  });
});

describe('iamStatements', () => {
  const statements = json(iamStatements(iamScope(fixtureCatalog().catalog)));

  it('limits attach and detach to the catalog managed policies', () => {
    const attach = statements.filter((s) => String(s['Action']).includes('AttachUserPolicy') || String(s['Action']).includes('AttachRolePolicy'));
    expect(attach).toHaveLength(2);
    for (const s of attach) {
      expect(s['Condition']).toEqual({
        ArnEquals: { 'iam:PolicyARN': ['arn:aws:iam::111122223333:policy/grantline/ProdSupport', 'arn:aws:iam::aws:policy/ReadOnlyAccess'] },
      });
    }
  });

  it('uses exactly the adapter actions the catalog needs, never a wildcard resource', () => {
    const actions = statements.flatMap((s) => [s['Action']].flat() as string[]);
    // No user is eligible for the inline-policy entitlement, so no user inline-policy actions.
    const { inlineUser: _unused, ...needed } = IAM_ACTIONS;
    expect(actions.sort()).toEqual(Object.values(needed).flat().sort());
    for (const s of statements) expect([s['Resource']].flat()).not.toContain('*');
  });

  it('grants nothing for a kind of grant the catalog does not use', () => {
    const onlyGroups = Catalog.parse({
      ...fixtureCatalog().catalog,
      entitlements: fixtureCatalog().catalog.entitlements.filter((e) => e.grant.type === 'group'),
    });
    const actions = json(iamStatements(iamScope(onlyGroups))).flatMap((s) => [s['Action']].flat());
    expect(actions.sort()).toEqual(['iam:AddUserToGroup', 'iam:ListGroupsForUser', 'iam:RemoveUserFromGroup']);
  });

  it('fails the synth when the scope would not fit in a role policy', () => {
    const base = fixtureCatalog().catalog;
    const many = Array.from({ length: 200 }, (_, i) => `arn:aws:iam::${ACCOUNT}:user/developer-${i}`);
    const huge = Catalog.parse({ ...base, groups: { ...base.groups, developers: many } });
    expect(() => iamStatements(iamScope(huge))).toThrow(new RegExp(`more than the ${MAX_IAM_STATEMENTS_CHARS}`));
  });

  it('refuses a catalog member that is not an IAM principal ARN', () => {
    const base = fixtureCatalog().catalog;
    const bad = { ...base, groups: { ...base.groups, developers: ['arn:aws:iam::111122223333:group/not-a-principal'] } } as Catalog;
    expect(() => iamScope(bad)).toThrow(/not an IAM user, role or assumed-role ARN/);
  });
});
