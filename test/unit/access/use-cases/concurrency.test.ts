import { describe, expect, it, vi } from 'vitest';
import { verifyChain } from '../../../../functions/access/domain/audit-chain.js';
import { ConflictError } from '../../../../functions/access/domain/errors.js';
import { approveRequest, cancelRequest, denyRequest } from '../../../../functions/access/use-cases/requests.js';
import { awaitApproval } from '../../../../functions/access/use-cases/workflow-steps.js';
import { buildCatalog, catalogSnapshot, userArn, withMembers } from '../../../helpers/catalog.js';
import { testDeps } from '../../../helpers/memory.js';
import { caller, submit } from '../../../helpers/requests.js';

const APPROVERS = Array.from({ length: 20 }, (_, i) => userArn(`approver-${i + 1}`));

/** A one-approver request with 20 possible approvers, its approval token stored. */
async function pendingWithTwentyApprovers() {
  const deps = testDeps({ catalog: () => catalogSnapshot(buildCatalog(withMembers('sre-leads', APPROVERS))) });
  const request = await submit(deps, 'alice');
  await awaitApproval(deps, request.id, 'approval-token');
  return { deps, request };
}

describe('racing approvals', () => {
  it('lets exactly one of 20 simultaneous approvals by distinct approvers win; the rest get 409', async () => {
    // Prepare
    const { deps, request } = await pendingWithTwentyApprovers();
    const append = vi.spyOn(deps.audit, 'append');

    // Act
    const results = await Promise.allSettled(APPROVERS.map((arn) => approveRequest(deps, caller(arn), request.id)));

    // Assess
    const won = results.filter((r) => r.status === 'fulfilled');
    const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(19);
    for (const loss of lost) {
      expect(loss.reason).toBeInstanceOf(ConflictError);
      expect(loss.reason.status).toBe(409);
    }
    const records = deps.audit.records(request.id);
    expect(records.map((r) => r.action)).toEqual(['REQUESTED', 'APPROVED']);
    expect(records[1]!.state?.approvals).toHaveLength(1);
    expect(verifyChain(records).verified).toBe(true);
    expect(deps.workflow.succeeded).toEqual([{ token: 'approval-token', output: { decision: 'APPROVED' } }]);
    // All 20 really raced for seq 2: the conditional append, not an earlier read, decided.
    expect(append).toHaveBeenCalledTimes(20);
    expect(append.mock.calls.every(([record]) => record.seq === 2)).toBe(true);
  });

  it('lets exactly one of 20 simultaneous approvals by the same approver win; the rest get 409', async () => {
    // Prepare
    const { deps, request } = await pendingWithTwentyApprovers();

    // Act
    const results = await Promise.allSettled(Array.from({ length: 20 }, () => approveRequest(deps, caller('bob'), request.id)));

    // Assess
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(results.filter((r) => r.status === 'rejected' && r.reason instanceof ConflictError)).toHaveLength(19);
    expect(deps.audit.actions(request.id)).toEqual(['REQUESTED', 'APPROVED']);
    expect(deps.workflow.succeeded).toHaveLength(1);
  });

  it('counts one approver once when the same approver races on a two-approver request', async () => {
    // Prepare
    const deps = testDeps();
    const request = await submit(deps, 'alice', { entitlement: 'prod-admin', duration: '1h', justification: 'hotfix', ticket: 'OPS-9' });

    // Act
    const results = await Promise.allSettled(Array.from({ length: 20 }, () => approveRequest(deps, caller('bob'), request.id)));

    // Assess
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const state = deps.audit.records(request.id).at(-1)!.state!;
    expect(state.status).toBe('PENDING_APPROVAL');
    expect(state.approvals.map((a) => a.by)).toEqual([caller('bob').arn]);
  });

  it('lets only one of a racing approval, denial and cancel decide', async () => {
    // Prepare
    const deps = testDeps();
    const request = await submit(deps, 'alice');

    // Act
    const results = await Promise.allSettled([
      approveRequest(deps, caller('bob'), request.id),
      denyRequest(deps, caller('carol'), request.id, 'no'),
      cancelRequest(deps, caller('alice'), request.id),
    ]);

    // Assess
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(results.filter((r) => r.status === 'rejected' && r.reason instanceof ConflictError)).toHaveLength(2);
    expect(deps.audit.records(request.id)).toHaveLength(2);
  });
});
