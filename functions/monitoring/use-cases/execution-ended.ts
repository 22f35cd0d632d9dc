import { recordRevokeFailure as revokeFailureDecision } from '../../access/domain/lifecycle.js';
import type { GrantDeps } from '../../access/domain/ports.js';
import type { Status } from '../../access/domain/types.js';
import { commit } from '../../access/use-cases/commit.js';
import { recordGrantFailure } from '../../access/use-cases/workflow-steps.js';
import { ExecutionInput, type ExecutionStatusChangeEvent, FAILED_EXECUTION_STATUSES } from '../schemas/execution.js';

/** Errors of the state machine's own Fail states: the request was already marked and alerted on. */
const EXPECTED_ERRORS: ReadonlySet<string> = new Set(['GrantFailed', 'RevokeFailed', 'ApprovalExpiryFailed']);

const DEFAULT_ERROR: Record<string, string> = { FAILED: 'ExecutionFailed', TIMED_OUT: 'ExecutionTimedOut', ABORTED: 'ExecutionAborted' };

export interface ExecutionEndedOutcome {
  readonly executionArn: string;
  readonly executionStatus: string;
  readonly requestId: string | null;
  readonly before: Status | null;
  readonly after: Status | null;
  /** What this run did: marked the request, only alerted, or nothing (already handled, or not ours). */
  readonly action: 'REVOKE_FAILED' | 'GRANT_FAILED' | 'ALERTED' | 'NONE';
  readonly why: string;
}

type ExecutionDetail = ExecutionStatusChangeEvent['detail'];

function requestIdOf(input: string | null | undefined): string | null {
  if (!input) return null;
  try {
    const parsed = ExecutionInput.safeParse(JSON.parse(input));
    return parsed.success ? parsed.data.requestId : null;
  } catch {
    return null;
  }
}

/**
 * An execution of the access workflow ended FAILED, TIMED_OUT or ABORTED: nothing will finish its
 * request, so mark it where that matters. ACTIVE → REVOKE_FAILED (the sweeper retries the revoke);
 * APPROVED → GRANT_FAILED after undoing any partial grant; PENDING_APPROVAL is left for the
 * sweeper to expire. Each case alerts once: a redelivered event finds the request already marked.
 */
export async function onExecutionEnded(deps: GrantDeps, detail: ExecutionDetail, options: { readonly stateMachineArn?: string | undefined } = {}): Promise<ExecutionEndedOutcome> {
  const base = { executionArn: detail.executionArn, executionStatus: detail.status };
  const none = (requestId: string | null, before: Status | null, why: string): ExecutionEndedOutcome => ({ ...base, requestId, before, after: before, action: 'NONE', why });
  if (!(FAILED_EXECUTION_STATUSES as readonly string[]).includes(detail.status)) return none(null, null, `status ${detail.status} needs nothing`);
  if (options.stateMachineArn && detail.stateMachineArn !== options.stateMachineArn) return none(null, null, 'another state machine');

  const error = detail.error || DEFAULT_ERROR[detail.status]!;
  const cause = (detail.cause || `execution ${detail.name} ended ${detail.status}`).slice(0, 2000);
  const alert = async (requestId: string | null, before: Status | null, why: string): Promise<ExecutionEndedOutcome> => {
    await deps.alerts.publish(`ALERT Grantline: workflow ${detail.status} for ${requestId ?? detail.name}`, {
      type: 'ExecutionEnded',
      severity: 'HIGH',
      requestId,
      status: before,
      executionArn: detail.executionArn,
      executionStatus: detail.status,
      error,
      cause,
      why,
    });
    return { ...base, requestId, before, after: before, action: 'ALERTED', why };
  };

  const requestId = requestIdOf(detail.input);
  if (!requestId) return alert(null, null, 'the execution input names no request');
  const state = (await deps.audit.latest(requestId))?.state;
  if (!state) return alert(requestId, null, `no request ${requestId} in the audit log`);

  switch (state.status) {
    case 'ACTIVE': {
      const { record, state: after } = await commit(deps, requestId, (s) =>
        s.status === 'ACTIVE' ? revokeFailureDecision(s, error, cause, { executionArn: detail.executionArn, executionStatus: detail.status }) : null,
      );
      if (!record) return none(requestId, after.status, `already ${after.status}`);
      await deps.alerts.publish(`ALERT Grantline: revoke failed for ${requestId}`, {
        type: 'RevokeFailed',
        severity: 'HIGH',
        requestId,
        principal: after.principal,
        entitlement: after.entitlement,
        expiresAt: after.expiresAt,
        executionArn: detail.executionArn,
        error,
        cause,
      });
      return { ...base, requestId, before: 'ACTIVE', after: after.status, action: 'REVOKE_FAILED', why: 'the grant is live and no execution will revoke it' };
    }
    case 'APPROVED': {
      const { status } = await recordGrantFailure(deps, requestId, error, cause);
      return { ...base, requestId, before: 'APPROVED', after: status as Status, action: status === 'GRANT_FAILED' ? 'GRANT_FAILED' : 'NONE', why: 'approved, and no execution will grant it' };
    }
    case 'PENDING_APPROVAL':
      return alert(requestId, state.status, 'pending approval with no execution; the sweeper expires it at its deadline');
    case 'REVOKE_FAILED':
      return none(requestId, state.status, 'already REVOKE_FAILED; the sweeper retries the revoke');
    default:
      // GRANT_FAILED with this very error and cause: marked by an earlier delivery of this event.
      if (state.failure?.error === error && state.failure.cause === cause) return none(requestId, state.status, `already ${state.status}`);
      if (detail.status === 'FAILED' && !EXPECTED_ERRORS.has(error)) return alert(requestId, state.status, `the request is ${state.status}, but the execution failed unexpectedly`);
      return none(requestId, state.status, `the request is ${state.status}`);
  }
}
