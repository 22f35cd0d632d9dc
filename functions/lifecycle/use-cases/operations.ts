import { GENESIS_HASH, seal } from '../../access/domain/audit-chain.js';
import { ForbiddenError, ValidationError } from '../../access/domain/errors.js';
import { callerFromArn, principalRef } from '../../access/domain/identity.js';
import type { GrantDeps, RequestQuery } from '../../access/domain/ports.js';
import { isAdmin } from '../../access/domain/roles.js';
import { type AccessRequest, type AuditRecord, type Caller, HOLDING_STATUSES } from '../../access/domain/types.js';
import type { BulkOperation } from '../domain/bulk-revoke.js';
import { bulkRevoke, type BulkItemResult, type BulkRevokeOptions, type BulkRevokeResult } from './bulk-revoke.js';

export const KILL_SWITCH_CONFIRMATION = 'REVOKE ALL';

/** Who acts: an API caller (must be an admin), or a system actor such as `event:<source>`. */
export type OperationActor = { readonly caller: Caller } | { readonly actor: string };

export type OffboardInput = OperationActor & {
  /** An IAM user or role ARN; a path is dropped, as grants are recorded without it. */
  readonly principal: string;
  readonly reason: string;
  /** Who asked for it upstream (e.g. the HR system's operator), kept in the operation's record. */
  readonly requestedBy?: string;
};

export interface KillSwitchInput {
  readonly caller: Caller;
  readonly reason: string;
  readonly confirm: string;
}

const PAGE = 100;
/** Above this many entries the operation's own record keeps counts and the failures only (DynamoDB items max out at 400 KB). */
const MAX_RECORDED_RESULTS = 1000;

function actorOf(deps: GrantDeps, by: OperationActor, what: string): string {
  if ('caller' in by) {
    if (!isAdmin(deps.catalog().catalog, by.caller)) throw new ForbiddenError(`Only admins can ${what}`);
    return by.caller.arn;
  }
  if (!by.actor.trim()) throw new ValidationError('actor is required', 'actor');
  return by.actor;
}

function requireReason(reason: string): string {
  const trimmed = reason.trim();
  if (!trimmed) throw new ValidationError('reason is required', 'reason');
  return trimmed;
}

/** `arn:aws:iam::ACCT:user/path/NAME` → `arn:aws:iam::ACCT:user/NAME`, the form requests record. */
function normalisePrincipal(arn: string, account: string): string {
  let ref: ReturnType<typeof principalRef>;
  try {
    ref = principalRef(arn);
  } catch {
    throw new ValidationError('principal must be an IAM user or role ARN', 'principal');
  }
  if (ref.accountId !== account) throw new ValidationError(`principal is not in account ${account}`, 'principal');
  return callerFromArn(arn).principalArn;
}

/** Every request the queries list (all pages) that passes `keep`, once each. */
async function collect(deps: GrantDeps, queries: readonly RequestQuery[], keep: (r: AccessRequest) => boolean): Promise<AccessRequest[]> {
  const found = new Map<string, AccessRequest>();
  for (const query of queries) {
    let nextToken: string | undefined;
    do {
      const page = await deps.requests.query(query, { limit: PAGE, nextToken });
      for (const r of page.items) if (keep(r) && !found.has(r.id)) found.set(r.id, r);
      nextToken = page.nextToken;
    } while (nextToken);
  }
  return [...found.values()];
}

/**
 * Cancels a principal's pending requests and revokes all its grants. Admins only through the API;
 * an offboarding event (HR or IdP system) acts as `event:<source>`.
 */
export async function offboard(deps: GrantDeps, input: OffboardInput, options?: BulkRevokeOptions): Promise<BulkRevokeResult> {
  const actor = actorOf(deps, input, 'offboard a principal');
  const principal = normalisePrincipal(input.principal, deps.catalog().catalog.account);
  const reason = requireReason(input.reason);
  const requests = await collect(deps, [{ by: 'principal', principal }], (r) => r.status === 'PENDING_APPROVAL' || HOLDING_STATUSES.has(r.status));
  return runOperation(deps, { operation: 'offboarding', actor, reason, principal, requests, requestedBy: input.requestedBy }, options);
}

/** Revokes every grant in the account. Pending requests are left alone: they grant nothing yet. */
export async function killSwitch(deps: GrantDeps, input: KillSwitchInput, options?: BulkRevokeOptions): Promise<BulkRevokeResult> {
  const actor = actorOf(deps, input, 'pull the kill switch');
  if (input.confirm !== KILL_SWITCH_CONFIRMATION) {
    throw new ValidationError(`confirm must be exactly "${KILL_SWITCH_CONFIRMATION}"`, 'confirm');
  }
  const reason = requireReason(input.reason);
  const queries = (['ACTIVE', 'APPROVED', 'REVOKE_FAILED'] as const).map((status): RequestQuery => ({ by: 'status', status }));
  const requests = await collect(deps, queries, (r) => HOLDING_STATUSES.has(r.status));
  try {
    await deps.alerts.publish(`ALERT Grantline: kill switch pulled by ${actor}`, { type: 'KillSwitch', severity: 'HIGH', actor, reason, grants: requests.length });
  } catch (err) {
    deps.logger?.error('could not send the kill switch alert', { error: String(err) });
  }
  return runOperation(deps, { operation: 'kill-switch', actor, reason, requests }, options);
}

interface Operation {
  readonly operation: BulkOperation;
  readonly actor: string;
  readonly reason: string;
  readonly principal?: string;
  readonly requestedBy?: string | undefined;
  readonly requests: readonly AccessRequest[];
}

const KIND: Record<BulkOperation, 'OFFBOARDING' | 'KILL_SWITCH'> = { offboarding: 'OFFBOARDING', 'kill-switch': 'KILL_SWITCH' };

/**
 * The operation is in the log twice, as its own chain `<operation>#<id>`: seq 1 before anything
 * changes (who, why, how many), seq 2 with the outcome. Each request's records name the same id.
 */
async function runOperation(deps: GrantDeps, op: Operation, options?: BulkRevokeOptions): Promise<BulkRevokeResult> {
  const kind = KIND[op.operation];
  const operationId = `${op.operation}#${deps.newId()}`;
  const base = {
    requestId: operationId,
    actor: op.actor,
    action: kind,
    reason: op.reason,
    catalogVersion: deps.catalog().version,
    kind,
  } as const;
  const opened = seal({
    ...base,
    seq: 1,
    at: deps.clock().toISOString(),
    detail: {
      phase: 'STARTED',
      ...(op.principal !== undefined ? { principal: op.principal } : {}),
      ...(op.requestedBy !== undefined ? { requestedBy: op.requestedBy } : {}),
      candidates: op.requests.length,
    },
    prevHash: GENESIS_HASH,
  });
  await deps.audit.append(opened);

  const result = await bulkRevoke(
    deps,
    {
      operation: op.operation,
      operationId,
      actor: op.actor,
      reason: op.reason,
      ...(op.principal !== undefined ? { principal: op.principal } : {}),
      requests: op.requests,
    },
    options,
  );

  const closed: AuditRecord = seal({ ...base, seq: 2, at: deps.clock().toISOString(), detail: { phase: 'FINISHED', ...summary(result) }, prevHash: opened.hash });
  try {
    await deps.audit.append(closed);
  } catch (err) {
    // Every request's own record already names the operation; losing the summary loses no change.
    deps.logger?.error('could not record the outcome of the operation', { operationId, error: String(err) });
  }
  return result;
}

function summary(result: BulkRevokeResult): Record<string, unknown> {
  const { results, ...rest } = result;
  if (results.length <= MAX_RECORDED_RESULTS) return { ...rest, results: results.map(compact) };
  const notDone = results.filter((r) => r.outcome === 'FAILED' || r.outcome === 'SKIPPED');
  return { ...rest, results: notDone.slice(0, MAX_RECORDED_RESULTS).map(compact), resultsOmitted: results.length - Math.min(notDone.length, MAX_RECORDED_RESULTS) };
}

/** Undefined-free, so the record's hash survives DynamoDB. */
function compact(r: BulkItemResult): Record<string, unknown> {
  return { requestId: r.requestId, outcome: r.outcome, status: r.status, ...(r.error !== undefined ? { error: r.error.slice(0, 300) } : {}) };
}
