import type { AccessRequest, AuditRecord } from '../../access/domain/types.js';

export interface SweepPolicy {
  /** Leave the execution this long to do its own work (expiry, early revoke, approval timeout). */
  readonly graceSeconds: number;
  /** An APPROVED request without a grant this long after its approval: its execution died. */
  readonly stuckGrantSeconds: number;
  /** Alert when a request has failed this many sweeps. */
  readonly alertAfterSweeps: number;
  /** After the first alert, remind every this many further failed sweeps (12 x 5 min = hourly). */
  readonly remindEverySweeps: number;
}

export const DEFAULT_SWEEP_POLICY: SweepPolicy = {
  graceSeconds: 60,
  stuckGrantSeconds: 15 * 60,
  alertAfterSweeps: 3,
  remindEverySweeps: 12,
};

export type SweepAction = 'EXPIRE_APPROVAL' | 'CLEAN_UP_GRANT' | 'REVOKE' | 'NONE';

const before = (at: string | null | undefined, cutoff: number) => at != null && Date.parse(at) < cutoff;

/** When an APPROVED request became approved: its last approval, or its creation when auto-approved. */
export function approvedAt(state: AccessRequest): string {
  return state.approvals.at(-1)?.at ?? state.createdAt;
}

/** What the sweeper does about a request, judged on the log's state (never on the projection's). */
export function sweepAction(state: AccessRequest, now: Date, policy: SweepPolicy): SweepAction {
  const cutoff = now.getTime() - policy.graceSeconds * 1000;
  switch (state.status) {
    case 'PENDING_APPROVAL':
      return before(state.approvalDeadline, cutoff) ? 'EXPIRE_APPROVAL' : 'NONE';
    case 'APPROVED':
      return Date.parse(approvedAt(state)) < now.getTime() - policy.stuckGrantSeconds * 1000 ? 'CLEAN_UP_GRANT' : 'NONE';
    case 'ACTIVE':
    case 'REVOKE_FAILED':
      return before(state.expiresAt, cutoff) || before(state.revocation?.at, cutoff) ? 'REVOKE' : 'NONE';
    default:
      return 'NONE';
  }
}

/** Marks the REVOKE_FAILED records the sweeper writes, so it can count its own failed attempts. */
export const SWEEPER_SOURCE = 'sweeper';

export function sweeperFailures(records: readonly AuditRecord[]): number {
  return records.filter((r) => r.action === 'REVOKE_FAILED' && r.detail['source'] === SWEEPER_SOURCE).length;
}

/** Alert on the `alertAfterSweeps`th failed sweep, then remind now and then rather than every 5 minutes. */
export function shouldAlert(failedSweeps: number, policy: SweepPolicy): boolean {
  const past = failedSweeps - policy.alertAfterSweeps;
  return past >= 0 && past % policy.remindEverySweeps === 0;
}
