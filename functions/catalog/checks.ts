import { parseDuration } from '../access/domain/duration.js';
import type { Catalog, Entitlement, PolicyDocument } from './schema.js';

/**
 * Actions that let a principal raise its own privileges. A catalog grant that allows any of them
 * is refused unless it is break-glass with at least two approvers.
 */
export const ESCALATION_ACTIONS = [
  'iam:PutUserPolicy',
  'iam:PutRolePolicy',
  'iam:PutGroupPolicy',
  'iam:AttachUserPolicy',
  'iam:AttachRolePolicy',
  'iam:AttachGroupPolicy',
  'iam:CreatePolicy',
  'iam:CreatePolicyVersion',
  'iam:SetDefaultPolicyVersion',
  'iam:CreateUser',
  'iam:CreateRole',
  'iam:CreateAccessKey',
  'iam:CreateLoginProfile',
  'iam:UpdateLoginProfile',
  'iam:UpdateAssumeRolePolicy',
  'iam:AddUserToGroup',
  'iam:DeleteRolePermissionsBoundary',
  'iam:DeleteUserPermissionsBoundary',
  'iam:PutRolePermissionsBoundary',
  'iam:PutUserPermissionsBoundary',
  'organizations:LeaveOrganization',
  'organizations:CreateAccount',
  'organizations:AttachPolicy',
  'organizations:DetachPolicy',
] as const;

/** Dangerous only when the resource is unrestricted. */
const ESCALATION_ON_ANY_RESOURCE = ['iam:PassRole', 'sts:AssumeRole'] as const;

/** AWS managed policies known to allow escalation. */
export const ESCALATION_MANAGED_POLICIES = new Set([
  'arn:aws:iam::aws:policy/AdministratorAccess',
  'arn:aws:iam::aws:policy/IAMFullAccess',
]);

const list = (v: string | readonly string[] | undefined): string[] => (v === undefined ? [] : typeof v === 'string' ? [v] : [...v]);

/** IAM wildcard match (`*` any run, `?` one character), case-insensitive like IAM action names. */
export function wildcardMatch(pattern: string, value: string): boolean {
  const regex = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`, 'i');
  return regex.test(value);
}

const isOpenResource = (resources: string[]) => resources.some((r) => r === '*' || /^arn:aws[a-z-]*:(iam|sts)::(\*|\d{12}):(role\/)?\*$/.test(r));

/** Readable findings (`Statement[0]: allows iam:PutUserPolicy (privilege escalation)`) for one policy. */
export function escalationFindings(doc: PolicyDocument): string[] {
  const findings: string[] = [];
  doc.Statement.forEach((s, i) => {
    if (s.Effect !== 'Allow') return;
    const where = `Statement[${i}]`;
    if (s.NotAction !== undefined) {
      findings.push(`${where}: Allow with NotAction grants everything not listed (privilege escalation)`);
      return;
    }
    const actions = list(s.Action);
    const resources = s.NotResource !== undefined ? ['*'] : list(s.Resource);
    for (const action of actions) {
      if (action === '*' || /^\*:\*$/.test(action)) {
        findings.push(`${where}: allows "${action}" (every action)`);
        continue;
      }
      if (wildcardMatch(action, 'organizations:ListAccounts') && /^organizations:\*$/i.test(action)) {
        findings.push(`${where}: allows ${action} (organizations:*)`);
        continue;
      }
      const hit = ESCALATION_ACTIONS.find((d) => wildcardMatch(action, d));
      if (hit) {
        findings.push(`${where}: allows ${hit === action ? action : `${action} (matches ${hit})`} (privilege escalation)`);
        continue;
      }
      const open = ESCALATION_ON_ANY_RESOURCE.find((d) => wildcardMatch(action, d));
      if (open && isOpenResource(resources)) findings.push(`${where}: allows ${open} on ${resources.join(', ')} (privilege escalation)`);
    }
  });
  return findings;
}

const ACTION = /^(\*|[a-zA-Z0-9-]+:[a-zA-Z0-9*?]+)$/;
const RESOURCE = /^(\*|arn:[^:\s]*:[^:\s]*:[^:\s]*:[^:\s]*:.+)$/;
const MAX_INLINE_POLICY_CHARS = 10_240;

function checkPolicy(doc: PolicyDocument, path: string): string[] {
  const problems: string[] = [];
  doc.Statement.forEach((s, i) => {
    const at = `${path}.Statement[${i}]`;
    for (const [key, values] of [['Action', list(s.Action)], ['NotAction', list(s.NotAction)]] as const) {
      values.forEach((a, j) => {
        if (!ACTION.test(a)) problems.push(`${at}.${key}${typeof s[key] === 'string' ? '' : `[${j}]`}: "${a}" is not an IAM action like service:Action`);
      });
    }
    for (const [key, values] of [['Resource', list(s.Resource)], ['NotResource', list(s.NotResource)]] as const) {
      values.forEach((r, j) => {
        if (!RESOURCE.test(r)) problems.push(`${at}.${key}${typeof s[key] === 'string' ? '' : `[${j}]`}: "${r}" is not an ARN or "*"`);
      });
    }
  });
  const size = JSON.stringify(doc).length;
  if (size > MAX_INLINE_POLICY_CHARS) problems.push(`${path}: ${size} characters is over IAM's inline policy limit of ${MAX_INLINE_POLICY_CHARS}`);
  return problems;
}

/** A catalog whose entitlements may be partly invalid: `undefined` keeps the index of one that failed the schema. */
export type PartialCatalog = Omit<Catalog, 'entitlements'> & { readonly entitlements: readonly (Entitlement | undefined)[] };

/** Semantic checks the schema cannot express; every problem names its path. */
export function checkCatalog(catalog: Catalog | PartialCatalog): string[] {
  const problems: string[] = [];
  const known = new Set(Object.keys(catalog.groups));
  const ref = (groups: readonly string[], path: string) =>
    groups.forEach((g, i) => {
      if (!known.has(g)) problems.push(`${path}[${i}]: unknown group "${g}"`);
    });

  ref(catalog.admins, 'admins');
  for (const [name, members] of Object.entries(catalog.groups)) {
    members.forEach((arn, i) => {
      const account = /::(\d{12}):/.exec(arn)?.[1];
      if (account !== catalog.account) problems.push(`groups.${name}[${i}]: ${arn} is not in account ${catalog.account}`);
    });
  }

  const seen = new Map<string, number>();
  catalog.entitlements.forEach((e, i) => {
    if (!e) return;
    const at = `entitlements[${i}]`;
    if (seen.has(e.id)) problems.push(`${at}.id: duplicate id "${e.id}" (also entitlements[${seen.get(e.id)}])`);
    else seen.set(e.id, i);
    ref(e.eligible, `${at}.eligible`);
    ref(e.approval.approvers, `${at}.approval.approvers`);
    if (e.approval.auto) ref(e.approval.auto.groups, `${at}.approval.auto.groups`);
    problems.push(...checkApproval(catalog, e, at));
    problems.push(...checkGrant(catalog, e, at));
  });
  return problems;
}

function members(catalog: Catalog | PartialCatalog, groups: readonly string[]): Set<string> {
  return new Set(groups.flatMap((g) => catalog.groups[g] ?? []));
}

function checkApproval(catalog: Catalog | PartialCatalog, e: Entitlement, at: string): string[] {
  const problems: string[] = [];
  const { approval } = e;
  const approvers = members(catalog, approval.approvers);
  const eligible = members(catalog, e.eligible);
  if (approval.approvers.length === 0 && !approval.auto) problems.push(`${at}.approval: needs approvers or an auto rule`);
  if (approval.approvers.length > 0) {
    // The requester never approves their own request, so an approver who may also request shrinks the pool.
    const requesterInPool = [...eligible].some((m) => approvers.has(m));
    const pool = approvers.size - (requesterInPool ? 1 : 0);
    if (approval.required > pool) {
      problems.push(
        `${at}.approval.required: ${approval.required} distinct approvers needed but only ${pool} available${requesterInPool ? ' once the requester is excluded' : ''}`,
      );
    }
  }
  if (approval.auto) {
    const autoMax = parseDuration(approval.auto.maxDuration) ?? 0;
    const max = parseDuration(e.maxDuration) ?? 0;
    if (autoMax > max) problems.push(`${at}.approval.auto.maxDuration: ${approval.auto.maxDuration} exceeds the entitlement's maxDuration ${e.maxDuration}`);
    if (e.breakGlass) problems.push(`${at}.approval.auto: break-glass entitlements are never auto-approved`);
  }
  if (e.breakGlass && approval.required < 2) problems.push(`${at}.approval.required: break-glass entitlements need at least 2 approvers`);
  return problems;
}

function checkGrant(catalog: Catalog | PartialCatalog, e: Entitlement, at: string): string[] {
  const problems: string[] = [];
  let findings: string[] = [];
  if (e.grant.type === 'inline-policy') {
    problems.push(...checkPolicy(e.grant.policy, `${at}.grant.policy`));
    findings = escalationFindings(e.grant.policy).map((f) => `${at}.grant.policy.${f}`);
  } else if (e.grant.type === 'managed-policy' && ESCALATION_MANAGED_POLICIES.has(e.grant.policyArn)) {
    findings = [`${at}.grant.policyArn: ${e.grant.policyArn} allows privilege escalation`];
  } else if (e.grant.type === 'group') {
    const roles = [...members(catalog, e.eligible)].filter((m) => !m.includes(':user/'));
    if (roles.length > 0) problems.push(`${at}.grant: group grants need IAM users, but eligible includes ${roles.join(', ')}`);
  }
  if (findings.length > 0 && !(e.breakGlass && e.approval.required >= 2)) {
    problems.push(...findings.map((f) => `${f} — allowed only with breakGlass: true and approval.required >= 2`));
  }
  return problems;
}
