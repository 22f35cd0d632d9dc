import type { GrantSpec, PolicyDocument, PolicyStatement } from '../../catalog/schema.js';
import { principalRef } from './identity.js';
import type { AccessRequest } from './types.js';

export type PrincipalRef = { readonly type: 'user' | 'role'; readonly name: string };

/** One IAM object Grantline creates for a grant and removes on revoke. */
export type IamChange =
  | { readonly kind: 'managed-policy'; readonly principal: PrincipalRef; readonly policyArn: string }
  | { readonly kind: 'inline-policy'; readonly principal: PrincipalRef; readonly policyName: string; readonly document: PolicyDocument }
  | { readonly kind: 'group'; readonly principal: PrincipalRef; readonly groupName: string };

export const INLINE_POLICY_PREFIX = 'grantline-';

export function inlinePolicyName(requestId: string): string {
  return `${INLINE_POLICY_PREFIX}${requestId}`.slice(0, 128);
}

/**
 * Every statement gets `DateLessThan aws:CurrentTime <expiresAt>`, merged into its Condition, so IAM
 * itself ends the access even if no revoke ever runs. An earlier fence already present is kept.
 */
export function fencePolicy(document: PolicyDocument, expiresAt: string): PolicyDocument {
  const statements = document.Statement.map((statement): PolicyStatement => {
    const condition = { ...(statement.Condition ?? {}) };
    const dateLessThan = { ...(condition['DateLessThan'] ?? {}) };
    const existing = dateLessThan['aws:CurrentTime'];
    const keep = typeof existing === 'string' && Date.parse(existing) < Date.parse(expiresAt);
    dateLessThan['aws:CurrentTime'] = keep ? existing : expiresAt;
    condition['DateLessThan'] = dateLessThan;
    return { ...statement, Condition: condition };
  });
  return { Version: '2012-10-17', Statement: statements as PolicyDocument['Statement'] };
}

/** The key of the IAM object a change creates, e.g. "user/alice|policy|arn:aws:iam::aws:policy/ReadOnlyAccess". */
export function iamObjectKey(change: IamChange): string {
  const who = `${change.principal.type}/${change.principal.name}`;
  switch (change.kind) {
    case 'managed-policy':
      return `${who}|policy|${change.policyArn}`;
    case 'inline-policy':
      return `${who}|inline|${change.policyName}`;
    case 'group':
      return `${who}|group|${change.groupName}`;
  }
}

/** What the grant puts into IAM. Inline policies are named per request, so two grants never share one. */
export function planGrant(request: Pick<AccessRequest, 'id' | 'principal' | 'grant'>, expiresAt: string): IamChange {
  const { type, name } = principalRef(request.principal);
  const principal = { type, name };
  return changeFor(request.grant, principal, request.id, expiresAt);
}

function changeFor(grant: GrantSpec, principal: PrincipalRef, requestId: string, expiresAt: string): IamChange {
  switch (grant.type) {
    case 'managed-policy':
      return { kind: 'managed-policy', principal, policyArn: grant.policyArn };
    case 'inline-policy':
      return { kind: 'inline-policy', principal, policyName: inlinePolicyName(requestId), document: fencePolicy(grant.policy, expiresAt) };
    case 'group':
      return { kind: 'group', principal, groupName: grant.groupName };
  }
}

/** Two grants that touch the same shared IAM object (attachment or membership). */
export function sharedObjectKey(request: Pick<AccessRequest, 'principal' | 'grant' | 'id'>): string {
  switch (request.grant.type) {
    case 'managed-policy':
      return `${request.principal}|policy|${request.grant.policyArn}`;
    case 'group':
      return `${request.principal}|group|${request.grant.groupName}`;
    case 'inline-policy':
      return `${request.principal}|inline|${inlinePolicyName(request.id)}`;
  }
}

/** Holds access through its IAM object right now: granted, no revocation recorded, not yet expired. */
export function holdsLiveAccess(r: Pick<AccessRequest, 'status' | 'revocation' | 'expiresAt'>, now: Date): boolean {
  return (r.status === 'ACTIVE' || r.status === 'REVOKE_FAILED') && !r.revocation && r.expiresAt !== null && Date.parse(r.expiresAt) > now.getTime();
}

/** (expiresAt, id): a strict order, so of grants that expire together exactly one is last. */
function endsAfter(a: Pick<AccessRequest, 'id' | 'expiresAt'>, b: Pick<AccessRequest, 'id' | 'expiresAt'>): boolean {
  const ta = Date.parse(a.expiresAt ?? '') || 0;
  const tb = Date.parse(b.expiresAt ?? '') || 0;
  return ta > tb || (ta === tb && a.id > b.id);
}

/**
 * The other grants a revoke of `request` must keep the shared IAM object for.
 *
 * Several grants of one object that end together must not each keep it "for the others" (each
 * still sees the others ACTIVE, since none has committed yet), or nothing removes it. So:
 * - only live holders count (granted, no revocation recorded, not expired);
 * - a grant that is ending by expiry (no revocation) defers only to holders that end after it in
 *   the (expiresAt, id) order: of grants expiring together the last one removes the object;
 * - a revoked grant, or one that is already closed, defers to every live holder.
 * A revocation is recorded before its revoke runs, so two racing early revokes never keep the
 * object for each other. The caller re-checks after committing (see revokeAccess) to close the
 * remaining window.
 */
export function holdersToKeepFor<R extends Pick<AccessRequest, 'id' | 'principal' | 'grant' | 'status' | 'revocation' | 'expiresAt'>>(
  request: R,
  others: readonly R[],
  now: Date,
): R[] {
  const key = sharedObjectKey(request);
  const expiring = (request.status === 'ACTIVE' || request.status === 'REVOKE_FAILED') && !request.revocation;
  return others.filter(
    (o) => o.id !== request.id && sharedObjectKey(o) === key && holdsLiveAccess(o, now) && (!expiring || endsAfter(o, request)),
  );
}

/**
 * Revoke removes the object unless another grant that still holds access needs the same shared
 * object (reference count over the holders other than this request; see holdersToKeepFor).
 */
export function planRevoke(
  request: Pick<AccessRequest, 'id' | 'principal' | 'grant' | 'expiresAt'>,
  otherHolders: readonly Pick<AccessRequest, 'id' | 'principal' | 'grant'>[],
): { change: IamChange; keptFor: string[] } {
  const change = planGrant(request, request.expiresAt ?? new Date(0).toISOString());
  const key = sharedObjectKey(request);
  const keptFor = otherHolders.filter((o) => o.id !== request.id && sharedObjectKey(o) === key).map((o) => o.id);
  return { change, keptFor };
}
