import { type IamChange, iamObjectKey, planRevoke, sharedObjectKey } from '../../access/domain/grant-plan.js';
import type { GrantDeps } from '../../access/domain/ports.js';
import { type AccessRequest, HOLDING_STATUSES, type Status } from '../../access/domain/types.js';
import { commit } from '../../access/use-cases/commit.js';
import { describeChange, revokeAccess } from '../../access/use-cases/workflow-steps.js';
import { type BulkContext, type BulkOperation, bulkReason, closeBulkRevoke, failBulkRevoke, openBulkRevoke } from '../domain/bulk-revoke.js';
import type { PrincipalVerifier, Sleep } from '../domain/ports.js';
import { AdaptiveRateLimiter, IAM_RETRY, isTransient, mapPool, realSleep, retryTransient, type RetryHooks, type RetryPolicy } from './pacing.js';

export interface BulkRevokeInput {
  readonly operation: BulkOperation;
  readonly operationId: string;
  readonly actor: string;
  readonly reason: string;
  /** The offboarded principal (absent for the kill switch). */
  readonly principal?: string;
  /** Candidates as the projection lists them; each is re-read from the log before anything is decided. */
  readonly requests: readonly Pick<AccessRequest, 'id' | 'entitlement'>[];
}

export interface BulkRevokeOptions {
  /** IAM calls in flight at once (default 8); throttling is absorbed by retry with backoff. */
  readonly iamConcurrency?: number;
  /** DynamoDB writes in flight at once (default 16). */
  readonly writeConcurrency?: number;
  readonly retry?: RetryPolicy;
  readonly sleep?: Sleep;
  readonly random?: () => number;
  /** Reads IAM back once per principal at the end; without one, removals are trusted. */
  readonly verifier?: PrincipalVerifier;
}

/** SKIPPED: the log showed the request already closed (by its own execution or someone else). */
export type BulkOutcome = 'REVOKED' | 'CANCELLED' | 'FAILED' | 'SKIPPED';

export interface BulkItemResult {
  readonly requestId: string;
  readonly entitlement: string;
  readonly outcome: BulkOutcome;
  /** The status the log holds afterwards (UNKNOWN when it could not be read). */
  readonly status: Status | 'UNKNOWN';
  readonly error?: string;
}

export interface BulkRevokeResult {
  readonly operation: BulkOperation;
  readonly operationId: string;
  readonly principal?: string;
  readonly reason: string;
  readonly actor: string;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly durationMs: number;
  /** Every IAM call made, throttled attempts included. */
  readonly iamCalls: number;
  readonly throttled: number;
  /** Distinct IAM objects removed (grants sharing an attachment or membership share one). */
  readonly objects: number;
  /** null without a verifier; false when some principal could not be read back. */
  readonly verified: boolean | null;
  readonly counts: Readonly<Record<BulkOutcome, number>>;
  readonly results: readonly BulkItemResult[];
}

type Removal = { readonly ok: true; readonly changed: boolean } | { readonly ok: false; readonly error: string; readonly cause: string };

interface ObjectGroup {
  readonly change: IamChange;
  readonly holders: AccessRequest[];
  removal?: Removal;
}

const describeError = (err: unknown) => ({
  error: err instanceof Error ? err.name : 'Error',
  cause: err instanceof Error ? err.message : String(err),
});
const errorText = (err: unknown): string => {
  const { error, cause } = describeError(err);
  return `${error}: ${cause}`;
};


/**
 * Revokes many requests at once (offboarding, kill switch). In order:
 * 1. on the log's state, pending requests are CANCELLED and holding ones get their revocation
 *    recorded, so grants that have not run yet never will;
 * 2. each distinct IAM object is removed once: every holder of it is being revoked, so the
 *    reference count is moot, and 1000 grants sharing few objects cost few calls. Bounded
 *    concurrency, throttling retried with backoff; no read-back per object (it would double the
 *    calls), one per principal at the end if a verifier is given;
 * 3. each request is recorded REVOKED, or REVOKE_FAILED when its object could not be removed (the
 *    sweeper retries those); a request whose state moved meanwhile (a grant landed) goes through
 *    the single revoke path instead, since its object may be back;
 * 4. stored task tokens are settled so running executions wake and find nothing left to do.
 * Nothing is dropped: every candidate ends in `results`, FAILED ones with their error.
 */
export async function bulkRevoke(deps: GrantDeps, input: BulkRevokeInput, options: BulkRevokeOptions = {}): Promise<BulkRevokeResult> {
  const started = deps.clock();
  const writes = options.writeConcurrency ?? 16;
  const iamConcurrency = options.iamConcurrency ?? 8;
  const policy = options.retry ?? IAM_RETRY;
  const sleep = options.sleep ?? realSleep;
  const limiter = new AdaptiveRateLimiter(() => deps.clock().getTime(), sleep);
  let iamCalls = 0;
  let throttled = 0;
  const counting: RetryHooks = {
    sleep,
    random: options.random ?? Math.random,
    beforeAttempt: limiter.acquire,
    onAttempt: (err) => {
      iamCalls++;
      if (err !== undefined && isTransient(err)) throttled++;
      limiter.observe(err);
    },
  };
  const ctx = (): BulkContext => ({
    operation: input.operation,
    operationId: input.operationId,
    actor: input.actor,
    reason: input.reason,
    now: deps.clock(),
  });
  const results = new Map<string, BulkItemResult>();
  const note = (r: Pick<AccessRequest, 'id' | 'entitlement'>, outcome: BulkOutcome, status: Status | 'UNKNOWN', error?: string) =>
    results.set(r.id, { requestId: r.id, entitlement: r.entitlement, outcome, status, ...(error !== undefined ? { error } : {}) });

  // 1. Cancel pending requests; record the revocation of holding ones.
  const holding: AccessRequest[] = [];
  const cancelled: AccessRequest[] = [];
  await mapPool(input.requests, writes, async (candidate) => {
    try {
      const { record, state } = await commit(deps, candidate.id, (s) => openBulkRevoke(s, ctx()));
      if (HOLDING_STATUSES.has(state.status)) holding.push(state);
      else if (record !== null && state.status === 'CANCELLED') {
        cancelled.push(state);
        note(state, 'CANCELLED', state.status);
      } else note(state, 'SKIPPED', state.status);
    } catch (err) {
      note(candidate, 'FAILED', 'UNKNOWN', errorText(err));
    }
  });

  // 2. Remove each distinct IAM object once. APPROVED requests are included: a grant that died after
  // changing IAM but before recording GRANTED leaves an object nobody else would remove.
  const groups = new Map<string, ObjectGroup>();
  for (const state of holding) {
    const key = sharedObjectKey(state);
    const group = groups.get(key) ?? { change: planRevoke(state, []).change, holders: [] };
    group.holders.push(state);
    groups.set(key, group);
  }
  await mapPool([...groups.values()], iamConcurrency, async (group) => {
    try {
      const { changed } = await retryTransient(() => deps.iam.remove(group.change), policy, counting);
      group.removal = { ok: true, changed };
    } catch (err) {
      group.removal = { ok: false, ...describeError(err) };
    }
  });
  const verified = options.verifier ? await verify(deps, options.verifier, [...groups.values()], iamConcurrency, policy, counting) : null;

  // 3. Record the outcome of each request.
  const revoked: AccessRequest[] = [];
  const movedOn: AccessRequest[] = [];
  await mapPool(holding, writes, async (state) => {
    const group = groups.get(sharedObjectKey(state))!;
    const removal = group.removal!;
    try {
      if (removal.ok) {
        let moved = false;
        const { record, state: after } = await commit(deps, state.id, (s) => {
          moved = s.seq !== state.seq && HOLDING_STATUSES.has(s.status);
          if (s.seq !== state.seq) return null;
          return closeBulkRevoke(s, ctx(), { iam: describeChange(group.change), removed: removal.changed, sharedBy: group.holders.length, verified });
        });
        if (record !== null) {
          revoked.push(after);
          note(after, 'REVOKED', after.status);
        } else if (moved) movedOn.push(after);
        else note(after, 'SKIPPED', after.status);
      } else {
        const { state: after } = await commit(deps, state.id, (s) => failBulkRevoke(s, ctx(), removal.error, removal.cause));
        note(after, 'FAILED', after.status, `${removal.error}: ${removal.cause}`);
      }
    } catch (err) {
      note(state, 'FAILED', 'UNKNOWN', errorText(err));
    }
  });

  // A grant landed between steps 1 and 3: its object may be back, so use the one revoke path
  // (reference-counted, reads IAM back). The revocation recorded in step 1 makes it REVOKED.
  const quiet: RetryHooks = { sleep, random: counting.random, beforeAttempt: limiter.acquire };
  await mapPool(movedOn, iamConcurrency, async (state) => {
    try {
      const { status } = await retryTransient(() => revokeAccess(deps, state.id), policy, quiet);
      if (status === 'REVOKED' || status === 'EXPIRED') {
        revoked.push(state);
        note(state, 'REVOKED', status as Status);
      } else note(state, 'SKIPPED', status as Status);
    } catch (err) {
      const { error, cause } = describeError(err);
      const after = await commit(deps, state.id, (s) => failBulkRevoke(s, ctx(), error, cause)).catch(() => undefined);
      note(state, 'FAILED', after?.state.status ?? 'UNKNOWN', `${error}: ${cause}`);
    }
  });

  // 4. Wake running executions: their Revoke step (or approval Catch) finds the request closed.
  const tokens = [
    ...revoked.map((r) => ({ request: r, kind: 'expiry' as const })),
    ...cancelled.map((r) => ({ request: r, kind: 'approval' as const })),
  ];
  await mapPool(tokens, writes, async ({ request, kind }) => {
    try {
      const token = (await deps.requests.get(request.id))?.tokens[kind];
      if (!token) return;
      if (kind === 'expiry') await deps.workflow.succeed(token, { signal: 'REVOKE' });
      else await deps.workflow.fail(token, 'RequestCancelled', bulkReason(input));
    } catch (err) {
      // The log already says it is closed; the execution finds that when it next runs.
      deps.logger?.warn('could not settle task token', { requestId: request.id, kind, error: String(err) });
    }
  });

  const ordered = input.requests.map((r) => results.get(r.id)!);
  const counts = { REVOKED: 0, CANCELLED: 0, FAILED: 0, SKIPPED: 0 };
  for (const r of ordered) counts[r.outcome]++;
  const finished = deps.clock();
  const result: BulkRevokeResult = {
    operation: input.operation,
    operationId: input.operationId,
    ...(input.principal !== undefined ? { principal: input.principal } : {}),
    reason: input.reason,
    actor: input.actor,
    startedAt: started.toISOString(),
    finishedAt: finished.toISOString(),
    durationMs: finished.getTime() - started.getTime(),
    iamCalls,
    throttled,
    objects: groups.size,
    verified,
    counts,
    results: ordered,
  };
  if (counts.FAILED > 0) await alertFailures(deps, result);
  return result;
}

/**
 * One read-back per principal. An object still there marks its group failed (so its requests
 * become REVOKE_FAILED and the sweeper retries them); a principal that cannot be read is reported
 * as unverified, not failed, since its removals did succeed.
 */
async function verify(
  deps: GrantDeps,
  verifier: PrincipalVerifier,
  groups: readonly ObjectGroup[],
  concurrency: number,
  policy: RetryPolicy,
  hooks: RetryHooks,
): Promise<boolean> {
  const byPrincipal = new Map<string, ObjectGroup[]>();
  for (const group of groups) {
    if (!group.removal?.ok) continue;
    const who = `${group.change.principal.type}/${group.change.principal.name}`;
    byPrincipal.set(who, [...(byPrincipal.get(who) ?? []), group]);
  }
  const readable = await mapPool([...byPrincipal.values()], concurrency, async (principalGroups) => {
    const principal = principalGroups[0]!.change.principal;
    try {
      const present = await retryTransient(() => verifier.stillPresent(principal, principalGroups.map((g) => g.change)), policy, hooks);
      const presentIds = new Set(present.map(iamObjectKey));
      for (const group of principalGroups) {
        if (presentIds.has(iamObjectKey(group.change))) {
          group.removal = { ok: false, error: 'IamPermanentError', cause: `IAM still shows the ${group.change.kind} after removing it` };
        }
      }
      return true;
    } catch (err) {
      deps.logger?.warn('could not read IAM back after a bulk revoke', { principal: `${principal.type}/${principal.name}`, error: String(err) });
      return false;
    }
  });
  return readable.every(Boolean);
}

async function alertFailures(deps: GrantDeps, result: BulkRevokeResult): Promise<void> {
  const failed = result.results.filter((r) => r.outcome === 'FAILED');
  try {
    await deps.alerts.publish(`ALERT Grantline: ${result.operation} left ${failed.length} grant(s) unrevoked`, {
      type: 'BulkRevokeFailed',
      severity: 'HIGH',
      operation: result.operation,
      operationId: result.operationId,
      principal: result.principal,
      actor: result.actor,
      reason: result.reason,
      failed: failed.slice(0, 50),
      more: Math.max(0, failed.length - 50),
      note: 'REVOKE_FAILED requests are retried by the sweeper every 5 minutes',
    });
  } catch (err) {
    deps.logger?.error('could not send the bulk revoke alert', { operationId: result.operationId, error: String(err) });
  }
}
