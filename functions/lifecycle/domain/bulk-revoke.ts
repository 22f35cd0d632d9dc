import { canTransition, recordRevoke, recordRevokeFailure } from '../../access/domain/lifecycle.js';
import type { AccessRequest, AuditDraft } from '../../access/domain/types.js';
import { HOLDING_STATUSES } from '../../access/domain/types.js';

export type BulkOperation = 'offboarding' | 'kill-switch';

/** Who pulled an offboarding or the kill switch, and why: every record it writes says so. */
export interface BulkContext {
  readonly operation: BulkOperation;
  /** The id of the operation's own audit records (`offboarding#<id>`, `kill-switch#<id>`). */
  readonly operationId: string;
  /** An admin's ARN, or `event:<source>` for an offboarding event. */
  readonly actor: string;
  readonly reason: string;
  readonly now: Date;
}

const iso = (d: Date) => d.toISOString();

function operationDetail(ctx: BulkContext): Record<string, unknown> {
  return { operation: ctx.operation, operationId: ctx.operationId, by: ctx.actor, why: ctx.reason };
}

/** The reason a request closed by an offboarding or the kill switch carries. */
export function bulkReason(ctx: Pick<BulkContext, 'operation' | 'reason'>): string {
  return ctx.operation === 'offboarding' ? `offboarded: ${ctx.reason}` : `kill switch: ${ctx.reason}`;
}

/**
 * First step, on the log's state: a pending request is CANCELLED; a holding one gets its revocation
 * recorded before IAM is touched, so a grant that has not started yet will not start (the Grant
 * step skips revoked requests). Null when there is nothing to record: already closed, or a
 * revocation was already asked for (that request is still revoked below).
 */
export function openBulkRevoke(state: AccessRequest, ctx: BulkContext): AuditDraft | null {
  const reason = bulkReason(ctx);
  if (state.status === 'PENDING_APPROVAL') {
    return {
      action: 'CANCELLED',
      actor: ctx.actor,
      reason,
      detail: operationDetail(ctx),
      state: { ...state, status: 'CANCELLED', endedAt: iso(ctx.now) },
    };
  }
  if (!HOLDING_STATUSES.has(state.status) || state.revocation) return null;
  return {
    action: 'REVOKE_REQUESTED',
    actor: ctx.actor,
    reason,
    detail: operationDetail(ctx),
    state: { ...state, revocation: { by: ctx.actor, at: iso(ctx.now), reason } },
  };
}

/** Access removed from IAM: REVOKED (EXPIRED if its time had run out anyway), naming the operation. */
export function closeBulkRevoke(state: AccessRequest, ctx: BulkContext, detail: Record<string, unknown>): AuditDraft | null {
  if (!HOLDING_STATUSES.has(state.status)) return null;
  return recordRevoke(state, ctx.now, { ...detail, ...operationDetail(ctx) });
}

/**
 * IAM removal failed: REVOKE_FAILED, which the sweeper retries (its revocation is recorded, so it is
 * due at once). An APPROVED request cannot be REVOKE_FAILED; it keeps its revocation and the
 * sweeper's stuck-grant cleanup removes whatever a half-run grant left.
 */
export function failBulkRevoke(state: AccessRequest, ctx: BulkContext, error: string, cause: string): AuditDraft | null {
  if (!canTransition(state.status, 'REVOKE_FAILED')) return null;
  return recordRevokeFailure(state, error, cause, operationDetail(ctx));
}
