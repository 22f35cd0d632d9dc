import { holdingHorizon } from '../domain/duration.js';
import { IamPermanentError, NotFoundError } from '../domain/errors.js';
import { holdersToKeepFor, planGrant, planRevoke } from '../domain/grant-plan.js';
import {
  expireApproval as expireApprovalDecision,
  grantExpiry,
  recordGrant,
  recordGrantFailure as grantFailureDecision,
  recordRevoke,
  recordRevokeFailure as revokeFailureDecision,
  secondsUntil,
} from '../domain/lifecycle.js';
import type { AccessDeps, GrantDeps } from '../domain/ports.js';
import { approverPool, findEntitlement } from '../domain/roles.js';
import { type AccessRequest, SYSTEM_ACTOR } from '../domain/types.js';
import { commit } from './commit.js';

async function current(deps: Pick<AccessDeps, 'audit'>, requestId: string): Promise<AccessRequest> {
  const latest = await deps.audit.latest(requestId);
  if (!latest?.state) throw new NotFoundError(`No request ${requestId}`);
  return latest.state;
}

export async function notifyApprovers(deps: AccessDeps, requestId: string): Promise<{ requestId: string; notified: number }> {
  const state = await current(deps, requestId);
  if (state.status !== 'PENDING_APPROVAL') return { requestId, notified: 0 };
  const { catalog } = deps.catalog();
  const entitlement = findEntitlement(catalog, state.entitlement);
  const approvers = entitlement ? approverPool(catalog, entitlement).filter((a) => a !== state.requester && a !== state.principal) : [];
  await deps.notifier.publish(`Grantline: ${state.entitlement} requested by ${state.requester}`, {
    type: 'ApprovalRequested',
    requestId,
    entitlement: state.entitlement,
    requester: state.requester,
    duration: state.duration,
    justification: state.justification,
    ticket: state.ticket,
    requiredApprovals: state.requiredApprovals,
    approvalDeadline: state.approvalDeadline,
    approvers,
  });
  return { requestId, notified: approvers.length };
}

/**
 * Stores the token, then re-reads the log: a decision that landed before the token was stored is
 * settled here, so an early approval, denial or cancel is never lost.
 */
export async function awaitApproval(deps: AccessDeps, requestId: string, taskToken: string): Promise<{ armed: boolean }> {
  await deps.requests.setTaskToken(requestId, 'approval', taskToken);
  const state = await current(deps, requestId);
  switch (state.status) {
    case 'PENDING_APPROVAL':
      return { armed: true };
    case 'APPROVED':
      await deps.workflow.succeed(taskToken, { decision: 'APPROVED' });
      return { armed: false };
    case 'DENIED':
      await deps.workflow.fail(taskToken, 'RequestDenied', state.denial?.reason ?? 'denied');
      return { armed: false };
    case 'CANCELLED':
      await deps.workflow.fail(taskToken, 'RequestCancelled', 'cancelled');
      return { armed: false };
    default:
      await deps.workflow.fail(taskToken, 'RequestClosed', `request is ${state.status}`);
      return { armed: false };
  }
}

/** Approval window over. An approval that won the race against the timeout still counts. */
export async function expireApproval(deps: AccessDeps, requestId: string): Promise<{ requestId: string; status: string }> {
  const { state } = await commit(deps, requestId, (s) => (s.status === 'PENDING_APPROVAL' ? expireApprovalDecision(s, deps.clock()) : null));
  if (state.status === 'APPROVAL_EXPIRED') {
    await deps.notifier.publish(`Grantline: request ${requestId} expired without approval`, { type: 'ApprovalExpired', requestId, entitlement: state.entitlement, requester: state.requester });
  }
  return { requestId, status: state.status };
}

export interface GrantOutcome {
  readonly requestId: string;
  readonly outcome: 'ACTIVE' | 'SKIPPED';
  readonly status: string;
  readonly remainingSeconds: number;
}

/**
 * Puts the access into IAM, reads it back, then records GRANTED. Safe to re-run: IAM calls are
 * idempotent and an ACTIVE request just reports its remaining time. Transient IAM errors are
 * thrown for the state machine's Retry.
 */
export async function grantAccess(deps: GrantDeps, requestId: string): Promise<GrantOutcome> {
  const state = await current(deps, requestId);
  const now = deps.clock();
  if (state.status === 'ACTIVE') {
    return { requestId, outcome: 'ACTIVE', status: state.status, remainingSeconds: secondsUntil(state.expiresAt, now) };
  }
  if (state.status !== 'APPROVED') return { requestId, outcome: 'SKIPPED', status: state.status, remainingSeconds: 0 };
  if (state.revocation) {
    const { state: after } = await commit(deps, requestId, (s) => (s.status === 'APPROVED' ? recordRevoke(s, deps.clock(), {}) : null));
    return { requestId, outcome: 'SKIPPED', status: after.status, remainingSeconds: 0 };
  }
  const expiresAt = grantExpiry(state, now);
  const change = planGrant(state, expiresAt.toISOString());
  const { changed } = await deps.iam.apply(change);
  if (!(await deps.iam.isPresent(change))) {
    throw new IamPermanentError(`IAM does not show the ${change.kind} grant after applying it`);
  }
  const { state: after } = await commit(deps, requestId, (s) =>
    s.status === 'APPROVED'
      ? recordGrant(s, now, expiresAt, { iam: describeChange(change), changed, verified: true })
      : null,
  );
  if (after.status !== 'ACTIVE') {
    // Closed by someone else while IAM was being changed: nothing will revoke it later, so undo it now.
    await removeAccess(deps, { ...state, expiresAt: expiresAt.toISOString() });
    return { requestId, outcome: 'SKIPPED', status: after.status, remainingSeconds: 0 };
  }
  return { requestId, outcome: 'ACTIVE', status: after.status, remainingSeconds: secondsUntil(after.expiresAt, deps.clock()) };
}

export function describeChange(change: ReturnType<typeof planGrant>): Record<string, unknown> {
  const base = { kind: change.kind, principalType: change.principal.type, principalName: change.principal.name };
  switch (change.kind) {
    case 'managed-policy':
      return { ...base, policyArn: change.policyArn };
    case 'inline-policy':
      return { ...base, policyName: change.policyName, fence: change.document.Statement[0]?.Condition?.['DateLessThan']?.['aws:CurrentTime'] };
    case 'group':
      return { ...base, groupName: change.groupName };
  }
}

/**
 * The grants the same principal holds through IAM objects (ACTIVE, or REVOKE_FAILED with access
 * still in force), other than `state`. An APPROVED request holds nothing yet: counting it would
 * keep an attachment that nobody removes if that request is then revoked before its grant runs.
 * Which of them a revoke keeps the shared object for is holdersToKeepFor's rule.
 */
async function otherHolders(deps: AccessDeps, state: AccessRequest): Promise<AccessRequest[]> {
  const holders: AccessRequest[] = [];
  let nextToken: string | undefined;
  do {
    const page = await deps.requests.query({ by: 'principal', principal: state.principal, createdSince: holdingHorizon(deps.clock()) }, { limit: 100, nextToken });
    holders.push(...page.items.filter((r) => r.id !== state.id && (r.status === 'ACTIVE' || r.status === 'REVOKE_FAILED')));
    nextToken = page.nextToken;
  } while (nextToken);
  return holdersToKeepFor(state, holders, deps.clock());
}

/** Undoes a grant that failed half-way; records GRANT_FAILED whatever the cleanup managed. */
export async function recordGrantFailure(deps: GrantDeps, requestId: string, error: string, cause: string): Promise<{ requestId: string; status: string }> {
  const state = await current(deps, requestId);
  if (state.status !== 'APPROVED') return { requestId, status: state.status };
  const cleanup = await removeAccess(deps, state).catch((err: unknown) => ({ removed: false, keptFor: [] as string[], error: String(err) }));
  const { state: after } = await commit(deps, requestId, (s) =>
    s.status === 'APPROVED' ? grantFailureDecision(s, deps.clock(), error, cause, { cleanup }) : null,
  );
  await deps.alerts.publish(`Grantline: grant failed for ${requestId}`, { type: 'GrantFailed', requestId, entitlement: state.entitlement, error, cause, cleanup });
  return { requestId, status: after.status };
}

async function removeAccess(deps: GrantDeps, state: AccessRequest): Promise<{ removed: boolean; keptFor: string[]; verified: boolean }> {
  const { change, keptFor } = planRevoke(state, await otherHolders(deps, state));
  if (keptFor.length > 0) return { removed: false, keptFor, verified: true };
  const { changed } = await deps.iam.remove(change);
  const stillThere = await deps.iam.isPresent(change);
  if (stillThere) throw new IamPermanentError(`IAM still shows the ${change.kind} grant after removing it`);
  return { removed: changed, keptFor, verified: true };
}

/** Wakes at once if a revocation is already recorded, else waits for expiry or the revoke signal. */
export async function awaitExpiry(deps: AccessDeps, requestId: string, taskToken: string): Promise<{ armed: boolean }> {
  await deps.requests.setTaskToken(requestId, 'expiry', taskToken);
  const state = await current(deps, requestId);
  const now = deps.clock();
  if (state.status === 'ACTIVE' && !state.revocation && secondsUntil(state.expiresAt, now) > 0) return { armed: true };
  await deps.workflow.succeed(taskToken, { signal: state.revocation ? 'REVOKE' : 'EXPIRED' });
  return { armed: false };
}

/** The one revoke path: expiry, early revoke, sweeper and offboarding all end here. */
export async function revokeAccess(deps: GrantDeps, requestId: string): Promise<{ requestId: string; status: string }> {
  const state = await current(deps, requestId);
  if (state.status === 'APPROVED') {
    const { state: after } = await commit(deps, requestId, (s) => (s.status === 'APPROVED' ? recordRevoke(s, deps.clock(), {}) : null));
    return { requestId, status: after.status };
  }
  if (state.status !== 'ACTIVE' && state.status !== 'REVOKE_FAILED') return { requestId, status: state.status };
  const result = await removeAccess(deps, state);
  const { change } = planRevoke(state, []);
  const { record, state: after } = await commit(deps, requestId, (s) =>
    s.status === 'ACTIVE' || s.status === 'REVOKE_FAILED' ? recordRevoke(s, deps.clock(), { iam: describeChange(change), ...result }) : null,
  );
  if (record && result.keptFor.length > 0) await releaseIfUnneeded(deps, after, result.keptFor);
  return { requestId, status: after.status };
}

/**
 * After a revoke that kept a shared object for other grants has committed, look again: if those
 * grants ended meanwhile (their revokes may have seen this one still ACTIVE and kept the object
 * for it), nobody else will remove it, so do it now and record why. A failure here alerts and
 * leaves the object to the sweeper and the review; the revoke itself stands.
 */
async function releaseIfUnneeded(deps: GrantDeps, closed: AccessRequest, keptFor: readonly string[]): Promise<void> {
  try {
    if ((await otherHolders(deps, closed)).length > 0) return;
    const { change } = planRevoke(closed, []);
    const { changed } = await deps.iam.remove(change);
    if (await deps.iam.isPresent(change)) throw new IamPermanentError(`IAM still shows the ${change.kind} grant after removing it`);
    if (!changed) return; // another revoke removed it first
    await commit(deps, closed.id, (s) => ({
      action: 'SHARED_ACCESS_REMOVED',
      actor: SYSTEM_ACTOR,
      reason: 'the grants it was kept for have ended',
      detail: { iam: describeChange(change), keptFor: [...keptFor], removed: true, verified: true },
      state: s,
    }));
  } catch (err) {
    deps.logger?.error('could not remove a shared grant after its last holder ended', { requestId: closed.id, error: String(err) });
    await deps.alerts.publish(`ALERT Grantline: shared access of ${closed.id} may still be attached`, {
      type: 'SharedAccessNotRemoved',
      severity: 'HIGH',
      requestId: closed.id,
      principal: closed.principal,
      entitlement: closed.entitlement,
      keptFor,
      error: err instanceof Error ? `${err.name}: ${err.message}` : String(err),
    });
  }
}

export async function recordRevokeFailure(deps: AccessDeps, requestId: string, error: string, cause: string): Promise<{ requestId: string; status: string }> {
  const { state } = await commit(deps, requestId, (s) =>
    s.status === 'ACTIVE' || s.status === 'REVOKE_FAILED' ? revokeFailureDecision(s, error, cause, {}) : null,
  );
  await deps.alerts.publish(`ALERT Grantline: revoke failed for ${requestId}`, {
    type: 'RevokeFailed',
    severity: 'HIGH',
    requestId,
    principal: state.principal,
    entitlement: state.entitlement,
    expiresAt: state.expiresAt,
    error,
    cause,
  });
  return { requestId, status: state.status };
}
