import { parseDuration } from '../access/domain/duration.js';
import { callerFromArn } from '../access/domain/identity.js';
import { samePerson } from '../access/domain/roles.js';
import type { Caller } from '../access/domain/types.js';
import type { Catalog, Entitlement, PolicyDocument } from './schema.js';

/**
 * Actions that let the holder raise their own privileges or mint lasting credentials, whatever the
 * resource. A grant that allows any of them is refused unless it is break-glass with two approvers.
 */
export const ESCALATION_ACTIONS: readonly string[] = [
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
];

/** Dangerous only when the resource can be any role: handing or assuming a role you choose. */
export const ANY_ROLE_ACTIONS: readonly string[] = ['iam:PassRole', 'sts:AssumeRole'];

/** Services guarded as a whole: they act on every account of the AWS organization. */
export const GUARDED_SERVICES: readonly string[] = ['organizations'];

/** AWS managed policies (by name, any partition) that allow escalation. Customer policies cannot be read offline. */
export const ESCALATION_MANAGED_POLICIES: readonly string[] = ['AdministratorAccess', 'IAMFullAccess', 'AWSOrganizationsFullAccess'];

/** IAM's size limits for inline policies, in characters without whitespace, per principal type. */
export const INLINE_POLICY_LIMITS = { user: 2_048, role: 10_240 } as const;

/** IAM wildcard match (`*` any run, `?` one character), case-insensitive like IAM action names. */
export function wildcardMatch(pattern: string, value: string): boolean {
  const body = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${body}$`, 'is').test(value);
}

const list = (v: string | readonly string[] | undefined): readonly string[] => (v === undefined ? [] : typeof v === 'string' ? [v] : v);

/** An action pattern that matches an action of a service nobody listed is as good as `*`. */
const matchesEverything = (action: string) => wildcardMatch(action, 'grantline-probe:AnyAction');

/** Does this resource pattern match a role nobody chose in advance (`*`, `role/*`, `arn:aws:iam::*:*` ...)? */
function matchesAnyRole(resource: string): boolean {
  const [, partition, , , account] = resource.split(':');
  const probe = `arn:${partition && !/[*?]/.test(partition) ? partition : 'aws'}:iam::${account && /^\d{12}$/.test(account) ? account : '123456789012'}:role/grantline-probe-any-role`;
  return wildcardMatch(resource, probe);
}

const includes = (action: string, hits: readonly string[]) =>
  hits.length === 1 && hits[0]!.toLowerCase() === action.toLowerCase()
    ? action
    : `${action}, which includes ${hits.slice(0, 3).join(', ')}${hits.length > 3 ? ` and ${hits.length - 3} more` : ''}`;

function actionFinding(action: string, resources: readonly string[]): string | undefined {
  if (matchesEverything(action)) return `allows ${action} (every action: privilege escalation)`;
  const escalation = ESCALATION_ACTIONS.filter((d) => wildcardMatch(action, d));
  if (escalation.length > 0) return `allows ${includes(action, escalation)} (privilege escalation)`;
  const anyRole = ANY_ROLE_ACTIONS.filter((d) => wildcardMatch(action, d));
  const open = resources.filter(matchesAnyRole);
  if (anyRole.length > 0 && open.length > 0) return `allows ${includes(action, anyRole)} on ${open.join(', ')} (any role: privilege escalation)`;
  const service = action.split(':')[0]!;
  const guarded = GUARDED_SERVICES.filter((g) => wildcardMatch(service, g));
  if (guarded.length > 0) return `allows ${action} (${guarded.join(', ')} actions reach the whole AWS organization and are guarded)`;
  return undefined;
}

/**
 * Readable findings (`Statement[0]: allows iam:PutUserPolicy (privilege escalation)`) for one
 * policy. Only Allow statements count; conditions are ignored and Deny statements are not
 * subtracted, so the answer errs on the side of flagging.
 */
export function escalationFindings(doc: PolicyDocument): string[] {
  const findings: string[] = [];
  doc.Statement.forEach((s, i) => {
    if (s.Effect !== 'Allow') return;
    const at = `Statement[${i}]`;
    if (s.NotAction !== undefined) {
      findings.push(`${at}: Allow with NotAction allows every action it does not list (privilege escalation)`);
      return;
    }
    // Allow with NotResource reaches everything it does not list: as open as `*`.
    const resources = s.NotResource !== undefined ? ['*'] : list(s.Resource);
    for (const action of list(s.Action)) {
      const finding = actionFinding(action, resources);
      if (finding) findings.push(`${at}: ${finding}`);
    }
  });
  return findings;
}

/** `*` or `service:Action`, wildcards allowed in both parts (`*:*`, `iam:Get*`). */
const ACTION = /^(\*|[a-z0-9*?-]+:[a-z0-9*?]+)$/i;
/** `*` or `arn:partition:service:region:account:resource`; region and account may be empty (S3). */
const RESOURCE = /^(\*|arn:[^:\s]*:[^:\s]*:[^:\s]*:[^:\s]*:\S.*)$/;
const SID = /^[A-Za-z0-9]*$/;

const isUser = (arn: string) => /^arn:[^:]+:iam::\d{12}:user\//.test(arn);

function checkPolicy(doc: PolicyDocument, path: string, grantedToUsers: boolean): string[] {
  const problems: string[] = [];
  const sids = new Map<string, number>();
  doc.Statement.forEach((s, i) => {
    const at = `${path}.Statement[${i}]`;
    if (s.Sid !== undefined) {
      if (!SID.test(s.Sid)) problems.push(`${at}.Sid: "${s.Sid}" may hold only letters and digits`);
      if (sids.has(s.Sid)) problems.push(`${at}.Sid: duplicate Sid "${s.Sid}" (also Statement[${sids.get(s.Sid)}])`);
      else sids.set(s.Sid, i);
    }
    const fields = [
      ['Action', s.Action, ACTION, 'is not an IAM action like service:Action'],
      ['NotAction', s.NotAction, ACTION, 'is not an IAM action like service:Action'],
      ['Resource', s.Resource, RESOURCE, 'is not an ARN or "*"'],
      ['NotResource', s.NotResource, RESOURCE, 'is not an ARN or "*"'],
    ] as const;
    for (const [key, value, shape, message] of fields) {
      list(value).forEach((v, j) => {
        if (!shape.test(v)) problems.push(`${at}.${key}${typeof value === 'string' ? '' : `[${j}]`}: "${v}" ${message}`);
      });
    }
  });
  const size = JSON.stringify(doc).length;
  const limit = grantedToUsers ? INLINE_POLICY_LIMITS.user : INLINE_POLICY_LIMITS.role;
  if (size > limit) {
    problems.push(
      `${path}: ${size} characters is over IAM's inline policy limit of ${limit}${grantedToUsers ? ' for users (eligible includes IAM users)' : ''}`,
    );
  }
  return problems;
}

/** What the checks can still use from an entitlement that failed the schema: its references. */
export interface EntitlementReferences {
  readonly invalid: true;
  readonly id?: string | undefined;
  readonly eligible: readonly string[];
  readonly approvers: readonly string[];
  readonly autoGroups: readonly string[];
}

/** A catalog that failed the schema, salvaged so one run still reports every kind of problem. */
export interface PartialCatalog {
  readonly account?: string | undefined;
  readonly admins: readonly string[];
  readonly groups: Readonly<Record<string, readonly string[]>>;
  readonly entitlements: readonly (Entitlement | EntitlementReferences)[];
}

const referencesOf = (e: Entitlement | EntitlementReferences) =>
  'invalid' in e ? e : { eligible: e.eligible, approvers: e.approval.approvers, autoGroups: e.approval.auto?.groups ?? [] };

/** Semantic checks the schema cannot express, each problem prefixed with its path. */
export function checkCatalog(catalog: Catalog | PartialCatalog): string[] {
  const problems: string[] = [];
  const known = new Set(Object.keys(catalog.groups));
  const ref = (groups: readonly string[], path: string) =>
    groups.forEach((g, i) => {
      if (!known.has(g)) problems.push(`${path}[${i}]: unknown group "${g}"`);
    });

  ref(catalog.admins, 'admins');
  if (catalog.account !== undefined) {
    for (const [name, members] of Object.entries(catalog.groups)) {
      members.forEach((arn, i) => {
        const account = /^arn:[^:]+:(?:iam|sts)::(\d{12}):/.exec(arn)?.[1];
        if (account !== catalog.account) problems.push(`groups.${name}[${i}]: ${arn} is not in account ${catalog.account}`);
      });
    }
  }

  const seen = new Map<string, number>();
  catalog.entitlements.forEach((e, i) => {
    const at = `entitlements[${i}]`;
    if (e.id !== undefined) {
      if (seen.has(e.id)) problems.push(`${at}.id: duplicate id "${e.id}" (also entitlements[${seen.get(e.id)}])`);
      else seen.set(e.id, i);
    }
    const refs = referencesOf(e);
    ref(refs.eligible, `${at}.eligible`);
    ref(refs.approvers, `${at}.approval.approvers`);
    ref(refs.autoGroups, `${at}.approval.auto.groups`);
    if ('invalid' in e) return;
    problems.push(...checkApproval(catalog, e, at), ...checkGrant(catalog, e, at));
  });
  return problems;
}

function members(catalog: Catalog | PartialCatalog, groups: readonly string[]): string[] {
  return [...new Set(groups.flatMap((g) => catalog.groups[g] ?? []))];
}

function callers(arns: readonly string[]): Caller[] {
  return arns.flatMap((arn) => {
    try {
      return [callerFromArn(arn)];
    } catch {
      return []; // not a principal ARN: the schema reports it
    }
  });
}

/**
 * Why `required` distinct approvers can never be found, counted as the domain counts them: a
 * member listed as a session approves as that session, anyone else as their IAM entity, and
 * nobody approves a request made by the same person (see samePerson in access/domain/roles).
 */
function approverShortfall(catalog: Catalog | PartialCatalog, e: Entitlement): string | undefined {
  const { required } = e.approval;
  const approvers = callers(members(catalog, e.approval.approvers));
  const identity = (c: Caller) => (c.sessionName !== undefined ? c.arn : c.principalArn);
  const pool = new Set(approvers.map(identity)).size;
  if (pool < required) return `the approver groups have only ${pool} distinct member${pool === 1 ? '' : 's'}`;
  for (const requester of callers(members(catalog, e.eligible))) {
    const left = new Set(approvers.filter((a) => !samePerson(a, requester.arn, requester.principalArn)).map(identity)).size;
    if (left < required) return `only ${left} remain${left === 1 ? 's' : ''} when ${requester.arn} requests (nobody approves their own request)`;
  }
  return undefined;
}

function checkApproval(catalog: Catalog | PartialCatalog, e: Entitlement, at: string): string[] {
  const problems: string[] = [];
  const { approval } = e;
  if (approval.approvers.length === 0 && !approval.auto) problems.push(`${at}.approval: needs approvers or an auto rule, or no request could ever be approved`);
  if (approval.approvers.length > 0) {
    const shortfall = approverShortfall(catalog, e);
    if (shortfall) problems.push(`${at}.approval.required: ${approval.required} distinct approvers needed, but ${shortfall}`);
  }
  if (approval.auto) {
    const autoMax = parseDuration(approval.auto.maxDuration) ?? 0;
    if (autoMax > (parseDuration(e.maxDuration) ?? 0)) {
      problems.push(`${at}.approval.auto.maxDuration: ${approval.auto.maxDuration} exceeds the entitlement's maxDuration ${e.maxDuration}`);
    }
    if (e.breakGlass) problems.push(`${at}.approval.auto: break-glass entitlements are never auto-approved; remove the rule`);
  }
  if (e.breakGlass && approval.required < 2) problems.push(`${at}.approval.required: break-glass entitlements need at least 2 approvers`);
  return problems;
}

const isEscalatingManagedPolicy = (arn: string) =>
  ESCALATION_MANAGED_POLICIES.some((name) => new RegExp(`^arn:aws[a-z-]*:iam::aws:policy/${name}$`).test(arn));

function checkGrant(catalog: Catalog | PartialCatalog, e: Entitlement, at: string): string[] {
  const problems: string[] = [];
  let findings: string[] = [];
  const { grant } = e;
  if (grant.type === 'inline-policy') {
    problems.push(...checkPolicy(grant.policy, `${at}.grant.policy`, members(catalog, e.eligible).some(isUser)));
    findings = escalationFindings(grant.policy).map((f) => `${at}.grant.policy.${f}`);
  } else if (grant.type === 'managed-policy') {
    if (isEscalatingManagedPolicy(grant.policyArn)) findings = [`${at}.grant.policyArn: ${grant.policyArn} allows privilege escalation`];
  } else {
    // A group's policies live in the account, not here: nothing to inspect offline. Roles cannot join groups.
    e.eligible.forEach((g, j) => {
      const nonUsers = (catalog.groups[g] ?? []).filter((m) => !isUser(m));
      if (nonUsers.length > 0) {
        problems.push(`${at}.eligible[${j}]: group "${g}" includes ${nonUsers.join(', ')}, but a group grant needs IAM users (roles cannot join IAM groups)`);
      }
    });
  }
  if (findings.length > 0 && !(e.breakGlass && e.approval.required >= 2)) {
    problems.push(...findings.map((f) => `${f}; allowed only with breakGlass: true and approval.required >= 2`));
  }
  return problems;
}
