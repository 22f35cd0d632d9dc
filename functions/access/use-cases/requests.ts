import { verifyChain } from '../domain/audit-chain.js';
import { formatDuration, parseDuration } from '../domain/duration.js';
import { NotFoundError } from '../domain/errors.js';
import { approve, cancel, createRequest, deny, requestRevoke, secondsUntil, type CreateInput } from '../domain/lifecycle.js';
import type { AccessDeps, Page, PageRequest } from '../domain/ports.js';
import { findEntitlement, hasApproved, inAnyGroup, isAdmin, isApprover, isEligible, samePerson } from '../domain/roles.js';
import { evaluateAutoApproval } from '../domain/auto-approval.js';
import type { AccessRequest, AuditRecord, Caller, Status } from '../domain/types.js';
import { commit, project, sealDraft } from './commit.js';

export async function submitRequest(deps: AccessDeps, caller: Caller, input: CreateInput): Promise<AccessRequest> {
  const { catalog, version } = deps.catalog();
  const now = deps.clock();
  const draft = createRequest(input, { id: deps.newId(), caller, catalog, catalogVersion: version, now });
  const record = sealDraft(draft.state.id, draft, undefined, now, version);
  await deps.audit.append(record);
  const state = record.state!;
  await project(deps, state);
  try {
    await deps.workflow.start({
      requestId: state.id,
      autoApproved: state.autoApproved,
      Payload: { requestId: state.id, remainingSeconds: Math.max(1, secondsUntil(state.approvalDeadline, now)) },
    });
  } catch (err) {
    // No execution means nobody will ever grant or expire it: close the request so the log tells the truth.
    deps.logger?.error('workflow did not start', { requestId: state.id, error: String(err) });
    const reason = `workflow did not start: ${err instanceof Error ? err.message : String(err)}`;
    await commit(deps, state.id, (s) =>
      s.status === 'PENDING_APPROVAL'
        ? { action: 'CANCELLED', actor: 'grantline:system', reason, detail: {}, state: { ...s, status: 'CANCELLED', endedAt: deps.clock().toISOString() } }
        : s.status === 'APPROVED'
          ? { action: 'GRANT_FAILED', actor: 'grantline:system', reason, detail: {}, state: { ...s, status: 'GRANT_FAILED', failure: { error: 'WorkflowStartFailed', cause: reason }, endedAt: deps.clock().toISOString() } }
          : null,
    );
    throw err;
  }
  return state;
}

/** The request as the log says it is; visible to its requester, its approvers and admins. */
export async function readRequest(deps: AccessDeps, caller: Caller, id: string): Promise<AccessRequest> {
  const latest = await deps.audit.latest(id);
  if (!latest?.state || !canSee(deps, caller, latest.state)) throw new NotFoundError(`No request ${id}`);
  return latest.state;
}

function canSee(deps: AccessDeps, caller: Caller, request: AccessRequest): boolean {
  const { catalog } = deps.catalog();
  if (samePerson(caller, request.requester, request.principal) || isAdmin(catalog, caller)) return true;
  const entitlement = findEntitlement(catalog, request.entitlement);
  return entitlement !== undefined && isApprover(catalog, entitlement, caller);
}

async function settle(deps: AccessDeps, token: string | undefined, outcome: { ok: true; output: Record<string, unknown> } | { ok: false; error: string; cause: string }): Promise<void> {
  if (!token) return;
  try {
    if (outcome.ok) await deps.workflow.succeed(token, outcome.output);
    else await deps.workflow.fail(token, outcome.error, outcome.cause);
  } catch (err) {
    // The decision is in the log; the waiting step re-reads it when it (re)arms.
    deps.logger?.warn('could not settle task token', { error: String(err) });
  }
}

export async function approveRequest(deps: AccessDeps, caller: Caller, id: string, comment?: string): Promise<AccessRequest> {
  await readRequest(deps, caller, id);
  const { catalog } = deps.catalog();
  const { state } = await commit(deps, id, (s) => approve(s, comment, { caller, catalog, now: deps.clock() }));
  if (state.status === 'APPROVED') {
    const stored = await deps.requests.get(id);
    await settle(deps, stored?.tokens.approval, { ok: true, output: { decision: 'APPROVED' } });
  }
  return state;
}

export async function denyRequest(deps: AccessDeps, caller: Caller, id: string, reason: string): Promise<AccessRequest> {
  await readRequest(deps, caller, id);
  const { catalog } = deps.catalog();
  const { state } = await commit(deps, id, (s) => deny(s, reason, { caller, catalog, now: deps.clock() }));
  const stored = await deps.requests.get(id);
  await settle(deps, stored?.tokens.approval, { ok: false, error: 'RequestDenied', cause: reason });
  return state;
}

export async function cancelRequest(deps: AccessDeps, caller: Caller, id: string, reason?: string): Promise<AccessRequest> {
  await readRequest(deps, caller, id);
  const { catalog } = deps.catalog();
  const { state } = await commit(deps, id, (s) => cancel(s, reason, { caller, catalog, now: deps.clock() }));
  const stored = await deps.requests.get(id);
  await settle(deps, stored?.tokens.approval, { ok: false, error: 'RequestCancelled', cause: reason ?? 'cancelled by the requester' });
  return state;
}

/** Records the revocation, then wakes the execution's expiry wait; its Revoke step does the IAM work. */
export async function revokeRequest(deps: AccessDeps, caller: Caller, id: string, reason?: string, actor?: string): Promise<AccessRequest> {
  await readRequest(deps, caller, id);
  const { catalog } = deps.catalog();
  const { state } = await commit(deps, id, (s) => requestRevoke(s, reason, { caller, catalog, now: deps.clock() }, actor));
  const stored = await deps.requests.get(id);
  await settle(deps, stored?.tokens.expiry, { ok: true, output: { signal: 'REVOKE' } });
  return state;
}

export async function readAudit(deps: AccessDeps, caller: Caller, id: string): Promise<{ items: AuditRecord[]; verified: boolean; problems: string[] }> {
  await readRequest(deps, caller, id);
  const items = await deps.audit.list(id);
  const { verified, problems } = verifyChain(items);
  return { items, verified, problems };
}

export type ListFilter =
  | { readonly mine: true }
  | { readonly status: Status }
  | { readonly pendingMyApproval: true };

/**
 * Lists from the projection. `status` shows everything to admins and, to others, the requests
 * they made or may approve; `pendingMyApproval` hides requests the caller made or already approved.
 */
export async function listRequests(deps: AccessDeps, caller: Caller, filter: ListFilter, page: PageRequest): Promise<Page<AccessRequest>> {
  const { catalog } = deps.catalog();
  if ('mine' in filter) return deps.requests.query({ by: 'requester', requester: caller.arn }, page);
  const status: Status = 'status' in filter ? filter.status : 'PENDING_APPROVAL';
  const result = await deps.requests.query({ by: 'status', status }, page);
  const admin = isAdmin(catalog, caller);
  const items = result.items.filter((r) => {
    const entitlement = findEntitlement(catalog, r.entitlement);
    const approver = entitlement !== undefined && isApprover(catalog, entitlement, caller);
    const mine = samePerson(caller, r.requester, r.principal);
    if ('pendingMyApproval' in filter) {
      return approver && !mine && !hasApproved(catalog, entitlement!, r.approvals, caller);
    }
    return admin || approver || mine;
  });
  return { items, ...(result.nextToken ? { nextToken: result.nextToken } : {}) };
}

export interface EntitlementView {
  readonly id: string;
  readonly description: string;
  readonly grantType: string;
  readonly maxDuration: string;
  readonly requireTicket: string | null;
  readonly breakGlass: boolean;
  readonly approval: { readonly approvers: readonly string[]; readonly required: number; readonly timeout: string };
  readonly autoApproval: { readonly eligible: boolean; readonly maxDuration: string; readonly hours: string | null; readonly timezone: string } | null;
}

/** What the caller may request, and whether auto-approval would apply to them right now. */
export function listEntitlements(deps: AccessDeps, caller: Caller): { items: EntitlementView[]; catalogVersion: string } {
  const { catalog, version } = deps.catalog();
  const now = deps.clock();
  const items = catalog.entitlements
    .filter((e) => isEligible(catalog, e, caller))
    .map((e): EntitlementView => {
      const auto = e.approval.auto;
      const autoMax = auto ? parseDuration(auto.maxDuration)! : 0;
      return {
        id: e.id,
        description: e.description,
        grantType: e.grant.type,
        maxDuration: formatDuration(parseDuration(e.maxDuration)!),
        requireTicket: e.requireTicket ?? null,
        breakGlass: e.breakGlass,
        approval: { approvers: e.approval.approvers, required: e.approval.required, timeout: e.approval.timeout },
        autoApproval: auto
          ? {
              eligible: inAnyGroup(catalog, auto.groups, caller) && evaluateAutoApproval(catalog, e, caller, autoMax, now).approved,
              maxDuration: formatDuration(autoMax),
              hours: auto.hours ?? null,
              timezone: auto.timezone,
            }
          : null,
      };
    });
  return { items, catalogVersion: version };
}
