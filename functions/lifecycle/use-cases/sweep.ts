import { recordRevokeFailure as revokeFailureDecision } from '../../access/domain/lifecycle.js';
import type { GrantDeps } from '../../access/domain/ports.js';
import type { AccessRequest, Status } from '../../access/domain/types.js';
import { commit } from '../../access/use-cases/commit.js';
import { expireApproval, recordGrantFailure, revokeAccess } from '../../access/use-cases/workflow-steps.js';
import type { Sleep } from '../domain/ports.js';
import {
  approvedAt,
  DEFAULT_SWEEP_POLICY,
  shouldAlert,
  sweepAction,
  SWEEPER_SOURCE,
  sweeperFailures,
  type SweepPolicy,
} from '../domain/sweep-rules.js';
import { mapPool, realSleep, retryTransient, type RetryHooks, type RetryPolicy } from './pacing.js';

export interface SweepOptions {
  readonly now?: Date;
  readonly policy?: Partial<SweepPolicy>;
  /** Requests handled at once (default 4): each revoke makes a few IAM calls. */
  readonly concurrency?: number;
  /** Throttling is retried briefly here; what still fails is retried by the next sweep. */
  readonly retry?: RetryPolicy;
  readonly sleep?: Sleep;
  readonly random?: () => number;
  /** Time left in this run (Lambda's getRemainingTimeInMillis); what is not started in time waits for the next sweep. */
  readonly remainingMs?: () => number;
}

export interface SweepFailure {
  readonly requestId: string;
  readonly error: string;
  /** Failed sweeps of this request so far, this one included. */
  readonly sweeps?: number;
}

export interface SweepSummary {
  readonly revoked: string[];
  readonly expired: string[];
  readonly approvalsExpired: string[];
  /** APPROVED requests whose execution died mid-grant: cleaned up and closed as GRANT_FAILED. */
  readonly grantsFailed: string[];
  readonly failed: SweepFailure[];
  /** Projection items found behind the log and rewritten from it. */
  repaired: number;
  /** Candidates left for the next sweep because this run ran out of time. */
  deferred: number;
  candidates: number;
  readonly startedAt: string;
  finishedAt: string;
}

const SWEEP_RETRY: RetryPolicy = { baseMs: 100, capMs: 5_000, maxAttempts: 5 };
const PAGE = 100;
/** Stop starting new work when less than this is left of the run. */
const RESERVE_MS = 20_000;

/**
 * The safety net under the state machine, run every 5 minutes: revokes grants past expiry (or
 * whose revocation was asked for) that no execution revoked, including REVOKE_FAILED ones; expires
 * pending requests past their approval window; cleans up grants whose execution died before
 * GRANTED. For inline policies IAM's own time fence already ended the access; for managed policies
 * and groups this is the guarantee. Every decision is taken on the log, never on the projection,
 * which is repaired where it lags.
 */
export async function sweep(deps: GrantDeps, options: SweepOptions = {}): Promise<SweepSummary> {
  const now = options.now ?? deps.clock();
  const policy: SweepPolicy = { ...DEFAULT_SWEEP_POLICY, ...options.policy };
  const hooks: RetryHooks = { sleep: options.sleep ?? realSleep, random: options.random ?? Math.random };
  const retry = options.retry ?? SWEEP_RETRY;
  const summary: SweepSummary = {
    revoked: [],
    expired: [],
    approvalsExpired: [],
    grantsFailed: [],
    failed: [],
    repaired: 0,
    deferred: 0,
    candidates: 0,
    startedAt: now.toISOString(),
    finishedAt: now.toISOString(),
  };

  const candidates = await findCandidates(deps, now, policy);
  summary.candidates = candidates.length;
  await mapPool(candidates, options.concurrency ?? 4, async (candidate) => {
    if (options.remainingMs && options.remainingMs() < RESERVE_MS) {
      summary.deferred++;
      return;
    }
    try {
      await sweepOne(deps, candidate, now, policy, retry, hooks, summary);
    } catch (err) {
      deps.logger?.error('sweep of a request failed', { requestId: candidate.id, error: String(err) });
      summary.failed.push({ requestId: candidate.id, error: err instanceof Error ? `${err.name}: ${err.message}` : String(err) });
    }
  });
  summary.finishedAt = deps.clock().toISOString();
  return summary;
}

/**
 * Pending requests come from the status index bounded by their deadline (its sort key). ACTIVE and
 * REVOKE_FAILED are read whole because a recorded revocation makes a grant due before its expiry,
 * which the sort key cannot express; APPROVED is a short-lived status and small. The projection
 * only pre-selects: a stale item is looked at again once its own timestamps make it due.
 */
async function findCandidates(deps: GrantDeps, now: Date, policy: SweepPolicy): Promise<AccessRequest[]> {
  const cutoff = new Date(now.getTime() - policy.graceSeconds * 1000).toISOString();
  const found = new Map<string, AccessRequest>();
  const scan = async (status: Status, expiresBefore?: string) => {
    let nextToken: string | undefined;
    do {
      const page = await deps.requests.query({ by: 'status', status, ...(expiresBefore ? { expiresBefore } : {}) }, { limit: PAGE, nextToken });
      for (const r of page.items) if (sweepAction(r, now, policy) !== 'NONE') found.set(r.id, r);
      nextToken = page.nextToken;
    } while (nextToken);
  };
  await scan('PENDING_APPROVAL', cutoff);
  await scan('APPROVED');
  await scan('ACTIVE');
  await scan('REVOKE_FAILED');
  return [...found.values()];
}

async function sweepOne(
  deps: GrantDeps,
  candidate: AccessRequest,
  now: Date,
  policy: SweepPolicy,
  retry: RetryPolicy,
  hooks: RetryHooks,
  summary: SweepSummary,
): Promise<void> {
  const latest = await deps.audit.latest(candidate.id);
  const state = latest?.state;
  if (!state) return;
  if (state.seq > candidate.seq) {
    // The projection lags the log; a failed repair must not stop the revoke below.
    await deps.requests.save(state).then(
      () => void summary.repaired++,
      (err: unknown) => deps.logger?.warn('could not repair the projection', { requestId: state.id, error: String(err) }),
    );
  }
  switch (sweepAction(state, now, policy)) {
    case 'NONE':
      return;
    case 'EXPIRE_APPROVAL': {
      const { status } = await expireApproval(deps, state.id);
      if (status !== 'APPROVAL_EXPIRED') return;
      summary.approvalsExpired.push(state.id);
      await settleToken(deps, state.id, 'approval', (token) => deps.workflow.fail(token, 'RequestClosed', 'the approval window closed'));
      return;
    }
    case 'CLEAN_UP_GRANT': {
      const cause = `approved at ${approvedAt(state)} and not granted within ${policy.stuckGrantSeconds} s: its execution is gone`;
      const { status } = await recordGrantFailure(deps, state.id, 'GrantStuck', cause);
      if (status === 'GRANT_FAILED') summary.grantsFailed.push(state.id);
      return;
    }
    case 'REVOKE': {
      let status: string;
      try {
        ({ status } = await retryTransient(() => revokeAccess(deps, state.id), retry, hooks));
      } catch (err) {
        summary.failed.push(await recordSweepFailure(deps, state, err, policy));
        return;
      }
      if (status === 'REVOKED') summary.revoked.push(state.id);
      else if (status === 'EXPIRED') summary.expired.push(state.id);
      await settleToken(deps, state.id, 'expiry', (token) => deps.workflow.succeed(token, { signal: 'REVOKE' }));
      return;
    }
  }
}

/** REVOKE_FAILED again, counted; on-call hears of it once it has failed `alertAfterSweeps` sweeps. */
async function recordSweepFailure(deps: GrantDeps, state: AccessRequest, err: unknown, policy: SweepPolicy): Promise<SweepFailure> {
  const error = err instanceof Error ? err.name : 'Error';
  const cause = err instanceof Error ? err.message : String(err);
  const sweeps = sweeperFailures(await deps.audit.list(state.id)) + 1;
  const { record, state: after } = await commit(deps, state.id, (s) =>
    s.status === 'ACTIVE' || s.status === 'REVOKE_FAILED' ? revokeFailureDecision(s, error, cause, { source: SWEEPER_SOURCE, sweep: sweeps }) : null,
  );
  if (record !== null && shouldAlert(sweeps, policy)) {
    await deps.alerts.publish(`ALERT Grantline: ${state.id} still unrevoked after ${sweeps} sweeps`, {
      type: 'StillUnrevoked',
      severity: 'HIGH',
      requestId: state.id,
      principal: after.principal,
      entitlement: after.entitlement,
      grant: after.grant,
      expiresAt: after.expiresAt,
      revocation: after.revocation,
      sweeps,
      error,
      cause,
    });
  }
  return { requestId: state.id, error: `${error}: ${cause}`, sweeps };
}

/** Wakes an execution still waiting on the request; it finds the request closed. Failures are harmless. */
async function settleToken(deps: GrantDeps, requestId: string, kind: 'approval' | 'expiry', settle: (token: string) => Promise<void>): Promise<void> {
  try {
    const token = (await deps.requests.get(requestId))?.tokens[kind];
    if (token) await settle(token);
  } catch (err) {
    deps.logger?.warn('could not settle task token', { requestId, kind, error: String(err) });
  }
}
