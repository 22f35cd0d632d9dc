import type { Catalog, Entitlement } from '../../catalog/schema.js';
import { callerFromArn, memberMatches } from './identity.js';
import type { Approval, Caller } from './types.js';

/** Catalog lookups phrased as questions about one caller. */
export function inGroup(catalog: Catalog, group: string, caller: Caller): boolean {
  return (catalog.groups[group] ?? []).some((member) => memberMatches(member, caller));
}

export function inAnyGroup(catalog: Catalog, groups: readonly string[], caller: Caller): boolean {
  return groups.some((g) => inGroup(catalog, g, caller));
}

export function isAdmin(catalog: Catalog, caller: Caller): boolean {
  return inAnyGroup(catalog, catalog.admins, caller);
}

export function isEligible(catalog: Catalog, entitlement: Entitlement, caller: Caller): boolean {
  return inAnyGroup(catalog, entitlement.eligible, caller);
}

export function isApprover(catalog: Catalog, entitlement: Entitlement, caller: Caller): boolean {
  return inAnyGroup(catalog, entitlement.approval.approvers, caller);
}

export function findEntitlement(catalog: Catalog, id: string): Entitlement | undefined {
  return catalog.entitlements.find((e) => e.id === id);
}

/** Distinct approver principals of an entitlement (for notifications and pool checks). */
export function approverPool(catalog: Catalog, entitlement: Entitlement): string[] {
  return [...new Set(entitlement.approval.approvers.flatMap((g) => catalog.groups[g] ?? []))];
}

/** The same person, whichever way they authenticated: never let one approve the other. */
export function samePerson(a: Caller, requester: string, requesterPrincipal: string): boolean {
  return a.arn === requester || a.principalArn === requesterPrincipal || a.principalArn === requester;
}

/**
 * Who an approval counts as. A member listed as a session ARN (Identity Center) is that session;
 * anyone else is their IAM entity, so one person cannot approve twice under two session names.
 */
export function approverIdentity(catalog: Catalog, entitlement: Entitlement, caller: Caller): string {
  const listedAsSession =
    caller.sessionName !== undefined && entitlement.approval.approvers.some((g) => (catalog.groups[g] ?? []).includes(caller.arn));
  return listedAsSession ? caller.arn : caller.principalArn;
}

/** Has this caller (under any session name that counts as them) already approved? */
export function hasApproved(catalog: Catalog, entitlement: Entitlement, approvals: readonly Approval[], caller: Caller): boolean {
  const me = approverIdentity(catalog, entitlement, caller);
  return approvals.some((a) => a.by === caller.arn || approverIdentity(catalog, entitlement, callerFromArn(a.by)) === me);
}
