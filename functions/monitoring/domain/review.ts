import type { Catalog } from '../../catalog/schema.js';
import { INLINE_POLICY_PREFIX, sharedObjectKey } from '../../access/domain/grant-plan.js';
import { callerFromArn } from '../../access/domain/identity.js';
import { type AccessRequest, HOLDING_STATUSES } from '../../access/domain/types.js';
import { isAdminLikeDocument, isElevatedPolicyArn } from './policy.js';
import type { AccountSnapshot, GroupSnapshot, PrincipalSnapshot, RemediationTarget } from './ports.js';

export const REVIEW_KIND = 'REVIEW';
export const SEVERITIES = ['HIGH', 'MEDIUM', 'LOW'] as const;
export type Severity = (typeof SEVERITIES)[number];
export const FINDING_TYPES = ['GRANTLINE_LEFTOVER', 'DRIFT', 'MISSING_PRINCIPAL', 'UNUSED_ENTITLEMENT'] as const;
export type FindingType = (typeof FINDING_TYPES)[number];

/** How far back a request counts as "used" for the unused-entitlement check. */
export const UNUSED_AFTER_DAYS = 90;

/** Something a principal holds that a review cares about. */
export interface Holding {
  readonly kind: 'managed-policy' | 'group' | 'inline-policy';
  /** Policy ARN, group name, or inline policy name. */
  readonly name: string;
  /** Set when held through this group's attachment or inline policy. */
  readonly via?: string;
  /** elevated: admin-like on its own; catalog-entitlement: what an entitlement grants (see `entitlements`). */
  readonly reason: 'elevated' | 'catalog-entitlement';
  readonly entitlements?: readonly string[];
  /** The most recent ended Grantline grant of the same object (within the look-back): a likely leftover. */
  readonly lastGrant?: { readonly requestId: string; readonly status: string; readonly endedAt: string | null };
}

export interface Finding {
  /** Stable across runs, so reports can be compared and findings tracked. */
  readonly id: string;
  readonly type: FindingType;
  readonly severity: Severity;
  readonly message: string;
  readonly principal?: string;
  readonly holdings?: readonly Holding[];
  /** For GRANTLINE_LEFTOVER: where the policy is and what removes it. */
  readonly target?: RemediationTarget;
  readonly policyName?: string;
  readonly requestId?: string;
  readonly entitlement?: string;
  readonly catalogGroups?: readonly string[];
  readonly remediable: boolean;
  /** Set when the review ran with `remediate: true`: what was removed, or why not. */
  readonly remediation?: Record<string, unknown>;
}

export interface ReviewInput {
  readonly snapshot: AccountSnapshot;
  readonly catalog: Catalog;
  /** Requests that hold access (APPROVED, ACTIVE, REVOKE_FAILED), including any the projection had not caught up with. */
  readonly holding: readonly AccessRequest[];
  /** Requests created within the look-back, any status. */
  readonly recent: readonly AccessRequest[];
  /** Path-free principal ARNs whose standing permissions are accepted (Grantline's own roles, a baseline). */
  readonly ignore: ReadonlySet<string>;
}

export interface ReviewFindings {
  readonly findings: Finding[];
  readonly principals: number;
  /** Principals not checked for drift (ignored, service-linked). */
  readonly skipped: number;
}

/** `arn:aws:iam::1:user/path/name` → `arn:aws:iam::1:user/name`, the form requests record. */
export function pathFree(arn: string): string {
  try {
    return callerFromArn(arn).principalArn;
  } catch {
    return arn;
  }
}

/** `grantline-<requestId>` → the request id; undefined for other names. */
export function grantlineRequestId(policyName: string): string | undefined {
  return policyName.startsWith(INLINE_POLICY_PREFIX) ? policyName.slice(INLINE_POLICY_PREFIX.length) : undefined;
}

const SEVERITY_ORDER: Record<Severity, number> = { HIGH: 0, MEDIUM: 1, LOW: 2 };
const TYPE_ORDER: Record<FindingType, number> = { GRANTLINE_LEFTOVER: 0, DRIFT: 1, MISSING_PRINCIPAL: 2, UNUSED_ENTITLEMENT: 3 };

/**
 * Compares the account with the catalog and the requests: drift by principal, Grantline-managed
 * inline policies no request holds, catalog principals that are gone, entitlements nobody asked
 * for. Linear in the size of the snapshot.
 */
export function reviewFindings(input: ReviewInput): ReviewFindings {
  const { snapshot, catalog } = input;
  const findings: Finding[] = [];

  const entitlementsByPolicy = new Map<string, string[]>();
  const entitlementsByGroup = new Map<string, string[]>();
  for (const e of catalog.entitlements) {
    if (e.grant.type === 'managed-policy') push(entitlementsByPolicy, e.grant.policyArn, e.id);
    if (e.grant.type === 'group') push(entitlementsByGroup, e.grant.groupName, e.id);
  }

  const holdingById = new Map(input.holding.filter((r) => HOLDING_STATUSES.has(r.status)).map((r) => [r.id, r]));
  const explained = new Set([...holdingById.values()].map((r) => sharedObjectKey(r)));
  const lastEnded = new Map<string, AccessRequest>();
  for (const r of input.recent) {
    if (HOLDING_STATUSES.has(r.status) || r.grantedAt === null) continue;
    const key = sharedObjectKey(r);
    const seen = lastEnded.get(key);
    if (!seen || (seen.endedAt ?? '') < (r.endedAt ?? '')) lastEnded.set(key, r);
  }
  const groups = new Map(snapshot.groups.map((g) => [g.name, g]));

  const policyHolding = (principal: string, policyArn: string, via?: string): Holding | undefined => {
    const elevated = isElevatedPolicyArn(policyArn);
    const entitlements = entitlementsByPolicy.get(policyArn);
    if (!elevated && !entitlements) return undefined;
    const last = via === undefined ? lastEnded.get(`${principal}|policy|${policyArn}`) : undefined;
    return {
      kind: 'managed-policy',
      name: policyArn,
      ...(via !== undefined ? { via } : {}),
      reason: elevated ? 'elevated' : 'catalog-entitlement',
      ...(entitlements ? { entitlements } : {}),
      ...(last ? { lastGrant: { requestId: last.id, status: last.status, endedAt: last.endedAt } } : {}),
    };
  };

  /** What a principal (and, for a user, its groups) holds that no holding request explains. */
  const unexplained = (principal: string, entity: PrincipalSnapshot, memberOf: readonly GroupSnapshot[]): Holding[] => {
    const held: Holding[] = [];
    for (const arn of entity.attachedPolicies) {
      if (explained.has(`${principal}|policy|${arn}`)) continue;
      const h = policyHolding(principal, arn);
      if (h) held.push(h);
    }
    for (const p of entity.inlinePolicies) {
      if (grantlineRequestId(p.name) === undefined && isAdminLikeDocument(p.document)) held.push({ kind: 'inline-policy', name: p.name, reason: 'elevated' });
    }
    for (const group of memberOf) {
      // A membership a grant explains explains what comes with the group too.
      if (explained.has(`${principal}|group|${group.name}`)) continue;
      const entitlements = entitlementsByGroup.get(group.name);
      if (entitlements) {
        const last = lastEnded.get(`${principal}|group|${group.name}`);
        held.push({
          kind: 'group',
          name: group.name,
          reason: 'catalog-entitlement',
          entitlements,
          ...(last ? { lastGrant: { requestId: last.id, status: last.status, endedAt: last.endedAt } } : {}),
        });
      }
      for (const arn of group.attachedPolicies) {
        const h = policyHolding(principal, arn, group.name);
        if (h) held.push(h);
      }
      for (const p of group.inlinePolicies) {
        if (isAdminLikeDocument(p.document)) held.push({ kind: 'inline-policy', name: p.name, via: group.name, reason: 'elevated' });
      }
    }
    return held;
  };

  const leftovers = (principal: string, target: RemediationTarget, entity: PrincipalSnapshot) => {
    for (const p of entity.inlinePolicies) {
      const requestId = grantlineRequestId(p.name);
      if (requestId === undefined) continue;
      const holder = holdingById.get(requestId);
      if (holder && holder.principal === principal) continue;
      findings.push({
        id: `leftover:${principal}:${p.name}`,
        type: 'GRANTLINE_LEFTOVER',
        severity: 'HIGH',
        message: `${target.type} ${target.name} still has Grantline-managed inline policy ${p.name}, but no request holds it`,
        principal,
        target,
        policyName: p.name,
        requestId,
        remediable: true,
      });
    }
  };

  let skipped = 0;
  const check = (entity: PrincipalSnapshot, type: 'user' | 'role', memberOf: readonly GroupSnapshot[]) => {
    const principal = pathFree(entity.arn);
    leftovers(principal, { type, name: entity.name }, entity);
    if (input.ignore.has(principal) || entity.path.startsWith('/aws-service-role/')) {
      skipped++;
      return;
    }
    const held = unexplained(principal, entity, memberOf);
    if (held.length === 0) return;
    const elevated = held.some((h) => h.reason === 'elevated');
    findings.push({
      id: `drift:${principal}`,
      type: 'DRIFT',
      severity: elevated ? 'HIGH' : 'MEDIUM',
      message: `${type} ${entity.name} holds ${held.length} elevated or catalog-granted permission${held.length === 1 ? '' : 's'} no Grantline request explains`,
      principal,
      holdings: held,
      remediable: false,
    });
  };

  for (const user of snapshot.users) check(user, 'user', user.groups.flatMap((g) => groups.get(g) ?? []));
  for (const role of snapshot.roles) check(role, 'role', []);
  for (const group of snapshot.groups) leftovers(group.arn, { type: 'group', name: group.name }, group);

  findings.push(...missingPrincipals(catalog, snapshot), ...unusedEntitlements(catalog, input.recent));
  findings.sort((a, b) => SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity] || TYPE_ORDER[a.type] - TYPE_ORDER[b.type] || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return { findings, principals: snapshot.users.length + snapshot.roles.length, skipped };
}

/** Catalog members (in the catalog's account) with no user or role of that name; a session ARN names its role. */
function missingPrincipals(catalog: Catalog, snapshot: AccountSnapshot): Finding[] {
  const existing = new Set([...snapshot.users, ...snapshot.roles].map((p) => pathFree(p.arn)));
  const groupsOf = new Map<string, string[]>();
  for (const [group, members] of Object.entries(catalog.groups)) {
    for (const member of members) {
      let principal: string;
      try {
        const caller = callerFromArn(member);
        if (caller.accountId !== catalog.account) continue;
        principal = caller.principalArn;
      } catch {
        continue;
      }
      if (!existing.has(principal)) push(groupsOf, principal, group);
    }
  }
  return [...groupsOf].map(([principal, catalogGroups]) => ({
    id: `missing-principal:${principal}`,
    type: 'MISSING_PRINCIPAL' as const,
    severity: 'MEDIUM' as const,
    message: `${principal} is named in catalog group${catalogGroups.length === 1 ? '' : 's'} ${catalogGroups.join(', ')} but does not exist in IAM`,
    principal,
    catalogGroups,
    remediable: false,
  }));
}

function unusedEntitlements(catalog: Catalog, recent: readonly AccessRequest[]): Finding[] {
  const used = new Set(recent.map((r) => r.entitlement));
  return catalog.entitlements
    .filter((e) => !used.has(e.id))
    .map((e) => ({
      id: `unused-entitlement:${e.id}`,
      type: 'UNUSED_ENTITLEMENT' as const,
      severity: 'LOW' as const,
      message: `Nobody requested ${e.id} in the last ${UNUSED_AFTER_DAYS} days; consider removing it from the catalog`,
      entitlement: e.id,
      remediable: false,
    }));
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

export interface ReviewSummary {
  readonly principals: number;
  readonly skipped: number;
  readonly findings: number;
  readonly bySeverity: Record<Severity, number>;
  readonly byType: Record<FindingType, number>;
  readonly iamCalls: number;
  readonly cpuMs: number;
  readonly remediated: number;
}

export function summarise(findings: readonly Finding[], extra: Omit<ReviewSummary, 'findings' | 'bySeverity' | 'byType'>): ReviewSummary {
  const bySeverity = Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>;
  const byType = Object.fromEntries(FINDING_TYPES.map((t) => [t, 0])) as Record<FindingType, number>;
  for (const f of findings) {
    bySeverity[f.severity]++;
    byType[f.type]++;
  }
  return { ...extra, findings: findings.length, bySeverity, byType };
}

/** DynamoDB items stop at 400 KB: the stored report keeps the first findings (most severe first) within both limits. */
export const MAX_STORED_FINDINGS = 1000;
export const MAX_STORED_FINDINGS_BYTES = 300_000;

export function capFindings<T>(findings: readonly T[], max = MAX_STORED_FINDINGS, maxBytes = MAX_STORED_FINDINGS_BYTES): { kept: T[]; truncated: number } {
  const kept: T[] = [];
  let bytes = 0;
  for (const f of findings) {
    if (kept.length >= max) break;
    bytes += Buffer.byteLength(JSON.stringify(f), 'utf8');
    if (bytes > maxBytes) break;
    kept.push(f);
  }
  return { kept, truncated: findings.length - kept.length };
}
