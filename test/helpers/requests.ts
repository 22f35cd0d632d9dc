import { callerFromArn } from '../../functions/access/domain/identity.js';
import type { CreateInput } from '../../functions/access/domain/lifecycle.js';
import type { AccessRequest, Caller } from '../../functions/access/domain/types.js';
import { approveRequest, submitRequest } from '../../functions/access/use-cases/requests.js';
import { grantAccess } from '../../functions/access/use-cases/workflow-steps.js';
import { ARNS, CATALOG_VERSION, POLICIES } from './catalog.js';
import type { TestDeps } from './memory.js';

export type Person = keyof typeof ARNS;

/** A caller by catalog name (alice, bob, carol, dave) or by any ARN. */
export function caller(who: Person | string): Caller {
  return callerFromArn(who in ARNS ? ARNS[who as Person] : who);
}

/** A request state as the log would hold it, for pure domain tests. Default: alice, prod-read, pending. */
export function requestState(overrides: Partial<AccessRequest> = {}): AccessRequest {
  return {
    id: 'req-0001',
    status: 'PENDING_APPROVAL',
    requester: ARNS.alice,
    principal: ARNS.alice,
    entitlement: 'prod-read',
    grant: { type: 'managed-policy', policyArn: POLICIES.readOnly },
    duration: 'PT2H',
    durationSeconds: 7200,
    justification: 'investigate INC-1',
    ticket: null,
    createdAt: '2030-01-15T10:00:00.000Z',
    approvalDeadline: '2030-01-15T11:00:00.000Z',
    requiredApprovals: 1,
    autoApproved: false,
    approvals: [],
    grantedAt: null,
    expiresAt: null,
    endedAt: null,
    denial: null,
    revocation: null,
    failure: null,
    catalogVersion: CATALOG_VERSION,
    seq: 1,
    ...overrides,
  };
}

/** Needs approval: alice asks for prod-read for 2h (over the PT1H auto limit). */
export const NEEDS_APPROVAL: CreateInput = { entitlement: 'prod-read', duration: 'PT2H', justification: 'investigate INC-1' };
/** Auto-approved for alice (oncall, ≤ PT1H, inside Berlin office hours at the default test time). */
export const AUTO_APPROVED: CreateInput = { entitlement: 'prod-read', duration: 'PT30M', justification: 'investigate INC-1' };

export function submit(deps: TestDeps, who: Person | string, input: CreateInput = NEEDS_APPROVAL): Promise<AccessRequest> {
  return submitRequest(deps, caller(who), input);
}

/** Submitted by alice and approved by bob: ready for the Grant step. */
export async function approvedRequest(deps: TestDeps, input: CreateInput = NEEDS_APPROVAL, who: Person | string = 'alice'): Promise<AccessRequest> {
  const request = await submit(deps, who, input);
  return approveRequest(deps, caller('bob'), request.id);
}

/** Auto-approved and granted: ACTIVE in the log and in (fake) IAM. */
export async function activeRequest(deps: TestDeps, input: CreateInput = AUTO_APPROVED, who: Person | string = 'alice'): Promise<AccessRequest> {
  const request = await submit(deps, who, input);
  if (request.status !== 'APPROVED') await approveRequest(deps, caller('bob'), request.id);
  await grantAccess(deps, request.id);
  const latest = await deps.audit.latest(request.id);
  return latest!.state!;
}
