import type { Catalog } from '../../catalog/schema.js';
import { evaluateAutoApproval } from './auto-approval.js';
import { formatDuration, parseDuration } from './duration.js';
import { ConflictError, ForbiddenError, ValidationError } from './errors.js';
import { findEntitlement, hasApproved, isAdmin, isApprover, isEligible, samePerson } from './roles.js';
import {
  type AccessRequest,
  type AuditDraft,
  type Caller,
  type Status,
  SYSTEM_ACTOR,
  TERMINAL_STATUSES,
} from './types.js';

/** The only status changes the lifecycle allows; anything else is a bug or a lost race. */
export const TRANSITIONS: Readonly<Record<Status, readonly Status[]>> = {
  PENDING_APPROVAL: ['PENDING_APPROVAL', 'APPROVED', 'DENIED', 'CANCELLED', 'APPROVAL_EXPIRED'],
  APPROVED: ['APPROVED', 'ACTIVE', 'GRANT_FAILED', 'REVOKED'],
  ACTIVE: ['ACTIVE', 'REVOKED', 'EXPIRED', 'REVOKE_FAILED'],
  REVOKE_FAILED: ['REVOKE_FAILED', 'REVOKED', 'EXPIRED'],
  REVOKED: [],
  EXPIRED: [],
  DENIED: [],
  APPROVAL_EXPIRED: [],
  CANCELLED: [],
  GRANT_FAILED: [],
};

export function canTransition(from: Status, to: Status): boolean {
  return TRANSITIONS[from].includes(to);
}

function transition(state: AccessRequest, to: Status, patch: Partial<AccessRequest> = {}): AccessRequest {
  if (!canTransition(state.status, to)) {
    throw new ConflictError(`Request ${state.id} is ${state.status}; it cannot become ${to}`);
  }
  return { ...state, ...patch, status: to };
}

const iso = (d: Date) => d.toISOString();
const addSeconds = (d: Date, s: number) => new Date(d.getTime() + s * 1000);

export interface CreateInput {
  readonly entitlement: string;
  readonly duration: string;
  readonly justification: string;
  readonly ticket?: string | undefined;
}

export interface CreateContext {
  readonly id: string;
  readonly caller: Caller;
  readonly catalog: Catalog;
  readonly catalogVersion: string;
  readonly now: Date;
}

/** A new request: checks eligibility, duration and ticket, and applies auto-approval. */
export function createRequest(input: CreateInput, ctx: CreateContext): AuditDraft {
  const { caller, catalog, now } = ctx;
  const entitlement = findEntitlement(catalog, input.entitlement);
  if (!entitlement) throw new ValidationError(`Unknown entitlement ${JSON.stringify(input.entitlement)}`, 'entitlement');
  if (caller.accountId !== catalog.account) {
    throw new ForbiddenError(`Principals of account ${caller.accountId} cannot request access in ${catalog.account}`);
  }
  if (!isEligible(catalog, entitlement, caller)) {
    throw new ForbiddenError(`You are not eligible for ${entitlement.id}`, 'entitlement');
  }
  if (entitlement.grant.type === 'group' && !caller.principalArn.includes(':user/')) {
    throw new ForbiddenError(`${entitlement.id} adds a user to an IAM group; roles cannot join groups`, 'entitlement');
  }
  const durationSeconds = parseDuration(input.duration);
  if (durationSeconds === undefined) throw new ValidationError('duration must look like PT30M, PT2H, 30m or 2h', 'duration');
  const max = parseDuration(entitlement.maxDuration)!;
  if (durationSeconds > max) {
    throw new ValidationError(`duration ${input.duration} exceeds the maximum ${entitlement.maxDuration} for ${entitlement.id}`, 'duration');
  }
  const ticket = input.ticket?.trim() || null;
  if (entitlement.requireTicket !== undefined) {
    if (!ticket) throw new ValidationError(`${entitlement.id} requires a ticket`, 'ticket');
    if (!new RegExp(entitlement.requireTicket).test(ticket)) {
      throw new ValidationError(`ticket must match ${entitlement.requireTicket}`, 'ticket');
    }
  }
  const auto = evaluateAutoApproval(catalog, entitlement, caller, durationSeconds, now);
  if (!auto.approved && entitlement.approval.approvers.length === 0) {
    throw new ForbiddenError(`${entitlement.id} is only auto-approved and this request does not qualify: ${auto.why}`);
  }
  const approvalSeconds = parseDuration(entitlement.approval.timeout)!;
  const state: AccessRequest = {
    id: ctx.id,
    status: auto.approved ? 'APPROVED' : 'PENDING_APPROVAL',
    requester: caller.arn,
    principal: caller.principalArn,
    entitlement: entitlement.id,
    grant: entitlement.grant,
    duration: formatDuration(durationSeconds),
    durationSeconds,
    justification: input.justification,
    ticket,
    createdAt: iso(now),
    approvalDeadline: auto.approved ? null : iso(addSeconds(now, approvalSeconds)),
    requiredApprovals: auto.approved ? 0 : entitlement.approval.required,
    autoApproved: auto.approved,
    approvals: [],
    grantedAt: null,
    expiresAt: null,
    endedAt: null,
    denial: null,
    revocation: null,
    failure: null,
    catalogVersion: ctx.catalogVersion,
    seq: 1,
  };
  return {
    action: 'REQUESTED',
    actor: caller.arn,
    detail: auto.approved
      ? { autoApproved: true, rule: auto.rule, breakGlass: entitlement.breakGlass }
      : { autoApproved: false, why: auto.why, requiredApprovals: state.requiredApprovals, breakGlass: entitlement.breakGlass },
    state,
  };
}

export interface ActorContext {
  readonly caller: Caller;
  readonly catalog: Catalog;
  readonly now: Date;
}

function entitlementOf(state: AccessRequest, catalog: Catalog) {
  const entitlement = findEntitlement(catalog, state.entitlement);
  if (!entitlement) throw new ForbiddenError(`Entitlement ${state.entitlement} is no longer in the catalog; nobody can approve it`);
  return entitlement;
}

function requirePending(state: AccessRequest, verb: string): void {
  if (state.status !== 'PENDING_APPROVAL') throw new ConflictError(`Cannot ${verb} request ${state.id}: it is ${state.status}`);
}

/** One approval; the request becomes APPROVED when enough distinct approvers agree. */
export function approve(state: AccessRequest, comment: string | undefined, ctx: ActorContext): AuditDraft {
  const { caller, catalog, now } = ctx;
  if (samePerson(caller, state.requester, state.principal)) {
    throw new ForbiddenError('You cannot approve your own request');
  }
  const entitlement = entitlementOf(state, catalog);
  if (!isApprover(catalog, entitlement, caller)) throw new ForbiddenError(`You are not an approver of ${state.entitlement}`);
  requirePending(state, 'approve');
  if (hasApproved(catalog, entitlement, state.approvals, caller)) {
    throw new ConflictError('You have already approved this request; another approver must agree');
  }
  if (state.approvalDeadline && now.getTime() >= Date.parse(state.approvalDeadline)) {
    throw new ConflictError(`The approval window of request ${state.id} closed at ${state.approvalDeadline}`);
  }
  const approvals = [...state.approvals, { by: caller.arn, at: iso(now), ...(comment ? { comment } : {}) }];
  const done = approvals.length >= state.requiredApprovals;
  return {
    action: 'APPROVED',
    actor: caller.arn,
    ...(comment ? { reason: comment } : {}),
    detail: { approvals: approvals.length, required: state.requiredApprovals, decided: done },
    state: transition(state, done ? 'APPROVED' : 'PENDING_APPROVAL', { approvals }),
  };
}

export function deny(state: AccessRequest, reason: string, ctx: ActorContext): AuditDraft {
  const { caller, catalog, now } = ctx;
  if (samePerson(caller, state.requester, state.principal)) {
    throw new ForbiddenError('You cannot decide on your own request; cancel it instead');
  }
  const entitlement = entitlementOf(state, catalog);
  if (!isApprover(catalog, entitlement, caller)) throw new ForbiddenError(`You are not an approver of ${state.entitlement}`);
  requirePending(state, 'deny');
  return {
    action: 'DENIED',
    actor: caller.arn,
    reason,
    detail: {},
    state: transition(state, 'DENIED', { denial: { by: caller.arn, at: iso(now), reason }, endedAt: iso(now) }),
  };
}

export function cancel(state: AccessRequest, reason: string | undefined, ctx: ActorContext): AuditDraft {
  const { caller, now } = ctx;
  if (caller.arn !== state.requester && !isAdmin(ctx.catalog, caller)) {
    throw new ForbiddenError('Only the requester can cancel a request');
  }
  requirePending(state, 'cancel');
  return {
    action: 'CANCELLED',
    actor: caller.arn,
    ...(reason ? { reason } : {}),
    detail: {},
    state: transition(state, 'CANCELLED', { endedAt: iso(now) }),
  };
}

/**
 * Early revoke: recorded first, carried out by the workflow's single Revoke step. Allowed to the
 * requester, an approver of the entitlement, or an admin.
 */
export function requestRevoke(state: AccessRequest, reason: string | undefined, ctx: ActorContext, actor?: string): AuditDraft {
  const { caller, catalog, now } = ctx;
  const entitlement = findEntitlement(catalog, state.entitlement);
  const allowed =
    caller.arn === state.requester ||
    caller.principalArn === state.principal ||
    isAdmin(catalog, caller) ||
    (entitlement !== undefined && isApprover(catalog, entitlement, caller));
  if (!allowed) throw new ForbiddenError('Only the requester, an approver of this entitlement or an admin can revoke');
  if (state.status !== 'APPROVED' && state.status !== 'ACTIVE' && state.status !== 'REVOKE_FAILED') {
    throw new ConflictError(`Cannot revoke request ${state.id}: it is ${state.status}`);
  }
  if (state.revocation) throw new ConflictError(`Revocation of request ${state.id} was already requested at ${state.revocation.at}`);
  const why = reason ?? 'revoked early';
  return {
    action: 'REVOKE_REQUESTED',
    actor: actor ?? caller.arn,
    reason: why,
    detail: {},
    state: transition(state, state.status, { revocation: { by: actor ?? caller.arn, at: iso(now), reason: why } }),
  };
}

export function expireApproval(state: AccessRequest, now: Date): AuditDraft {
  requirePending(state, 'expire');
  return {
    action: 'APPROVAL_EXPIRED',
    actor: SYSTEM_ACTOR,
    reason: `no decision by ${state.approvalDeadline}`,
    detail: { approvals: state.approvals.length, required: state.requiredApprovals },
    state: transition(state, 'APPROVAL_EXPIRED', { endedAt: iso(now) }),
  };
}

/** Grant done in IAM: expiry counts from now, so time spent waiting for approval is not lost. */
export function recordGrant(state: AccessRequest, now: Date, expiresAt: Date, detail: Record<string, unknown>): AuditDraft {
  if (state.status !== 'APPROVED') throw new ConflictError(`Cannot grant request ${state.id}: it is ${state.status}`);
  return {
    action: 'GRANTED',
    actor: SYSTEM_ACTOR,
    detail: { ...detail, expiresAt: iso(expiresAt) },
    state: transition(state, 'ACTIVE', { grantedAt: iso(now), expiresAt: iso(expiresAt) }),
  };
}

export function grantExpiry(state: AccessRequest, now: Date): Date {
  return addSeconds(now, state.durationSeconds);
}

export function recordGrantFailure(state: AccessRequest, now: Date, error: string, cause: string, detail: Record<string, unknown>): AuditDraft {
  return {
    action: 'GRANT_FAILED',
    actor: SYSTEM_ACTOR,
    reason: error,
    detail: { ...detail, cause },
    state: transition(state, 'GRANT_FAILED', { failure: { error, cause }, endedAt: iso(now) }),
  };
}

/** Access removed: REVOKED when someone asked for it, EXPIRED when time ran out. */
export function recordRevoke(state: AccessRequest, now: Date, detail: Record<string, unknown>): AuditDraft {
  if (state.status === 'APPROVED') {
    // Revoked before the grant ran: nothing reached IAM.
    return {
      action: 'REVOKED',
      actor: state.revocation?.by ?? SYSTEM_ACTOR,
      reason: state.revocation?.reason ?? 'revoked before grant',
      detail: { ...detail, granted: false },
      state: transition(state, 'REVOKED', { endedAt: iso(now) }),
    };
  }
  const early = state.revocation !== null && (state.expiresAt === null || now.getTime() < Date.parse(state.expiresAt));
  const to: Status = early ? 'REVOKED' : 'EXPIRED';
  return {
    action: to,
    actor: early ? state.revocation!.by : SYSTEM_ACTOR,
    reason: early ? state.revocation!.reason : `expired at ${state.expiresAt}`,
    detail,
    state: transition(state, to, { endedAt: iso(now), failure: null }),
  };
}

export function recordRevokeFailure(state: AccessRequest, error: string, cause: string, detail: Record<string, unknown>): AuditDraft {
  return {
    action: 'REVOKE_FAILED',
    actor: SYSTEM_ACTOR,
    reason: error,
    detail: { ...detail, cause },
    state: transition(state, 'REVOKE_FAILED', { failure: { error, cause } }),
  };
}

export function isTerminal(status: Status): boolean {
  return TERMINAL_STATUSES.has(status);
}

/** Seconds left until `at`, rounded up, never negative. */
export function secondsUntil(at: string | null, now: Date): number {
  if (!at) return 0;
  return Math.max(0, Math.ceil((Date.parse(at) - now.getTime()) / 1000));
}
