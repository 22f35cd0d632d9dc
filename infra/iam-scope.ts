import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { Catalog, Entitlement } from '../functions/catalog/schema.js';

/**
 * What Grantline may change in IAM, derived from the catalog at synth time: only the principals
 * eligible for an entitlement of each kind, only the groups named by group grants, and only the
 * managed policies the catalog lists. The grant functions cannot touch any other IAM object.
 */
export interface IamScope {
  readonly managedPolicy: { readonly principals: PrincipalArns; readonly policyArns: readonly string[] };
  readonly inlinePolicy: { readonly principals: PrincipalArns };
  readonly group: { readonly users: readonly string[]; readonly groupArns: readonly string[] };
}

export interface PrincipalArns {
  readonly users: readonly string[];
  readonly roles: readonly string[];
}

/** Actions of functions/access/adapters/iam.ts, by what they act on. */
export const IAM_ACTIONS = {
  /** Take an `iam:PolicyARN` condition. */
  attachUser: ['iam:AttachUserPolicy', 'iam:DetachUserPolicy'],
  attachRole: ['iam:AttachRolePolicy', 'iam:DetachRolePolicy'],
  listAttachedUser: ['iam:ListAttachedUserPolicies'],
  listAttachedRole: ['iam:ListAttachedRolePolicies'],
  inlineUser: ['iam:PutUserPolicy', 'iam:DeleteUserPolicy', 'iam:GetUserPolicy'],
  inlineRole: ['iam:PutRolePolicy', 'iam:DeleteRolePolicy', 'iam:GetRolePolicy'],
  /** Authorised on the group, not on the user. */
  membership: ['iam:AddUserToGroup', 'iam:RemoveUserFromGroup'],
  listGroups: ['iam:ListGroupsForUser'],
} as const;

/** The removing half of IAM_ACTIONS plus the read-back of functions/lifecycle/adapters/iam-verifier.ts. */
export const IAM_REVOKE_ACTIONS = {
  attachUser: ['iam:DetachUserPolicy'],
  attachRole: ['iam:DetachRolePolicy'],
  listAttachedUser: ['iam:ListAttachedUserPolicies'],
  listAttachedRole: ['iam:ListAttachedRolePolicies'],
  inlineUser: ['iam:DeleteUserPolicy', 'iam:GetUserPolicy', 'iam:ListUserPolicies'],
  inlineRole: ['iam:DeleteRolePolicy', 'iam:GetRolePolicy', 'iam:ListRolePolicies'],
  membership: ['iam:RemoveUserFromGroup'],
  listGroups: ['iam:ListGroupsForUser'],
} as const satisfies Record<keyof typeof IAM_ACTIONS, readonly string[]>;

/**
 * A role's policy text may not exceed 10,240 characters in all. Leave room for the other grants
 * and fail at synth rather than at deployment.
 */
export const MAX_IAM_STATEMENTS_CHARS = 7_000;

const MEMBER = /^arn:(aws[a-z-]*):(?:iam::(\d{12}):(user|role)\/(?:[\w+=,.@-]+\/)*([\w+=,.@-]+)|sts::(\d{12}):assumed-role\/([\w+=,.@-]+)\/[\w+=,.@-]+)$/;

/**
 * The IAM entity a catalog member is granted on, as resource ARNs. A name is unique per account
 * whatever its path, and Grantline acts by name (session ARNs carry no role path), so both the
 * path-less ARN and `<type>/*\/<name>` are listed: they match that one entity and no other.
 */
function entityArns(member: string): { type: 'user' | 'role'; arns: string[] } {
  const m = MEMBER.exec(member);
  if (!m) throw new Error(`Catalog member ${JSON.stringify(member)} is not an IAM user, role or assumed-role ARN`);
  const [, partition, iamAccount, type, name, stsAccount, roleName] = m;
  const entity = type ? { type: type as 'user' | 'role', account: iamAccount!, name: name! } : { type: 'role' as const, account: stsAccount!, name: roleName! };
  const base = `arn:${partition}:iam::${entity.account}:${entity.type}`;
  return { type: entity.type, arns: [`${base}/${entity.name}`, `${base}/*/${entity.name}`] };
}

function principalsOf(catalog: Catalog, entitlements: readonly Entitlement[]): PrincipalArns {
  const users = new Set<string>();
  const roles = new Set<string>();
  for (const entitlement of entitlements) {
    for (const group of entitlement.eligible) {
      for (const member of catalog.groups[group] ?? []) {
        const { type, arns } = entityArns(member);
        for (const arn of arns) (type === 'user' ? users : roles).add(arn);
      }
    }
  }
  return { users: [...users].sort(), roles: [...roles].sort() };
}

/** The catalog names no partition; its ARNs do (all in one account, so all in one partition). */
function catalogPartition(catalog: Catalog): string {
  const anyArn = Object.values(catalog.groups).flat()[0] ?? '';
  return /^arn:(aws[a-z-]*):/.exec(anyArn)?.[1] ?? 'aws';
}

export function iamScope(catalog: Catalog): IamScope {
  const managed = catalog.entitlements.filter((e) => e.grant.type === 'managed-policy');
  const inline = catalog.entitlements.filter((e) => e.grant.type === 'inline-policy');
  const groups = catalog.entitlements.filter((e) => e.grant.type === 'group');
  const groupBase = `arn:${catalogPartition(catalog)}:iam::${catalog.account}:group`;
  const unique = (values: string[]) => [...new Set(values)].sort();
  return {
    managedPolicy: {
      principals: principalsOf(catalog, managed),
      policyArns: unique(managed.flatMap((e) => (e.grant.type === 'managed-policy' ? [e.grant.policyArn] : []))),
    },
    inlinePolicy: { principals: principalsOf(catalog, inline) },
    group: {
      // Only users can join groups; the adapter refuses roles before calling IAM.
      users: principalsOf(catalog, groups).users,
      // Group names are unique per account whatever the path, as for users and roles.
      groupArns: unique(groups.flatMap((e) => (e.grant.type === 'group' ? [`${groupBase}/${e.grant.groupName}`, `${groupBase}/*/${e.grant.groupName}`] : []))),
    },
  };
}

/**
 * Policy statements for the IAM adapter, limited to the scope; kinds the catalog does not use get
 * none. `revoke`: only removing and reading back, for the functions that never grant (sweeper,
 * offboarding, execution-ended, review remediation).
 */
export function iamStatements(scope: IamScope, mode: 'grant' | 'revoke' = 'grant'): PolicyStatement[] {
  const IAM_ACTIONS_FOR: Record<keyof typeof IAM_ACTIONS, readonly string[]> = mode === 'grant' ? IAM_ACTIONS : IAM_REVOKE_ACTIONS;
  const statements: PolicyStatement[] = [];
  const add = (actions: readonly string[], resources: readonly string[], conditions?: Record<string, unknown>) => {
    if (resources.length > 0) statements.push(new PolicyStatement({ actions: [...actions], resources: [...resources], ...(conditions ? { conditions } : {}) }));
  };
  const { managedPolicy, inlinePolicy, group } = scope;
  if (managedPolicy.policyArns.length > 0) {
    const onlyCatalogPolicies = { ArnEquals: { 'iam:PolicyARN': [...managedPolicy.policyArns] } };
    add(IAM_ACTIONS_FOR.attachUser, managedPolicy.principals.users, onlyCatalogPolicies);
    add(IAM_ACTIONS_FOR.attachRole, managedPolicy.principals.roles, onlyCatalogPolicies);
    // The list calls carry no policy ARN, so they cannot share the condition.
    add(IAM_ACTIONS_FOR.listAttachedUser, managedPolicy.principals.users);
    add(IAM_ACTIONS_FOR.listAttachedRole, managedPolicy.principals.roles);
  }
  add(IAM_ACTIONS_FOR.inlineUser, inlinePolicy.principals.users);
  add(IAM_ACTIONS_FOR.inlineRole, inlinePolicy.principals.roles);
  if (group.users.length > 0) {
    add(IAM_ACTIONS_FOR.membership, group.groupArns);
    add(IAM_ACTIONS_FOR.listGroups, group.users);
  }
  const size = JSON.stringify(statements.map((s) => s.toStatementJson())).length;
  if (size > MAX_IAM_STATEMENTS_CHARS) {
    throw new Error(
      `The catalog's IAM scope needs ${size} characters of policy, more than the ${MAX_IAM_STATEMENTS_CHARS} a Lambda role can hold next to its other grants. Fewer eligible principals per kind of grant, or scoping by tag, would fit.`,
    );
  }
  return statements;
}

/** The resources of the scope that carry a `*` (the path wildcards), sorted. */
export function pathWildcards(scope: IamScope): string[] {
  const all = [
    ...scope.managedPolicy.principals.users,
    ...scope.managedPolicy.principals.roles,
    ...scope.inlinePolicy.principals.users,
    ...scope.inlinePolicy.principals.roles,
    ...scope.group.users,
    ...scope.group.groupArns,
  ];
  return [...new Set(all.filter((arn) => arn.includes('*')))].sort();
}
