import { describe, expect, it } from 'vitest';
import { verifyChain } from '../../../../functions/access/domain/audit-chain.js';
import { ForbiddenError, ValidationError } from '../../../../functions/access/domain/errors.js';
import { submitRequest } from '../../../../functions/access/use-cases/requests.js';
import { CATALOG_VERSION } from '../../../helpers/catalog.js';
import { sdkError, testDeps } from '../../../helpers/memory.js';
import { AUTO_APPROVED, NEEDS_APPROVAL, caller } from '../../../helpers/requests.js';

describe('submitRequest', () => {
  it('records a pending request and starts its workflow with the approval window', async () => {
    // Prepare
    const deps = testDeps();

    // Act
    const request = await submitRequest(deps, caller('alice'), NEEDS_APPROVAL);

    // Assess
    expect(request).toMatchObject({ id: 'req-0001', status: 'PENDING_APPROVAL', seq: 1, catalogVersion: CATALOG_VERSION });
    expect(deps.workflow.starts).toEqual([
      { requestId: 'req-0001', autoApproved: false, Payload: { requestId: 'req-0001', remainingSeconds: 3600 } },
    ]);
    expect(deps.audit.actions('req-0001')).toEqual(['REQUESTED']);
    expect(deps.requests.stored('req-0001')?.request?.status).toBe('PENDING_APPROVAL');
  });

  it('starts an auto-approved request with autoApproved true and a positive remainingSeconds', async () => {
    // Prepare
    const deps = testDeps();

    // Act
    const request = await submitRequest(deps, caller('alice'), AUTO_APPROVED);

    // Assess
    expect(request.status).toBe('APPROVED');
    expect(deps.workflow.starts).toHaveLength(1);
    expect(deps.workflow.starts[0]).toMatchObject({ requestId: request.id, autoApproved: true, Payload: { requestId: request.id } });
    expect(deps.workflow.starts[0]!.Payload.remainingSeconds).toBeGreaterThan(0);
  });

  it('writes a first audit record that verifies and names the requester', async () => {
    const deps = testDeps();

    const request = await submitRequest(deps, caller('alice'), AUTO_APPROVED);

    const records = deps.audit.records(request.id);
    expect(verifyChain(records).verified).toBe(true);
    expect(records[0]).toMatchObject({ actor: caller('alice').arn, action: 'REQUESTED', detail: { autoApproved: true } });
  });

  it('closes a pending request and rethrows when the workflow does not start', async () => {
    // Prepare
    const deps = testDeps();
    deps.workflow.startError = sdkError('StateMachineDoesNotExist');

    // Act
    const attempt = submitRequest(deps, caller('alice'), NEEDS_APPROVAL);

    // Assess
    await expect(attempt).rejects.toThrow('StateMachineDoesNotExist');
    const records = deps.audit.records('req-0001');
    expect(records.map((r) => r.action)).toEqual(['REQUESTED', 'CANCELLED']);
    expect(records[1]!.state?.status).toBe('CANCELLED');
    expect(records[1]!.reason).toMatch(/workflow did not start/);
    expect(verifyChain(records).verified).toBe(true);
  });

  it('marks an auto-approved request GRANT_FAILED when the workflow does not start', async () => {
    const deps = testDeps();
    deps.workflow.startError = sdkError('AccessDeniedException');

    await expect(submitRequest(deps, caller('alice'), AUTO_APPROVED)).rejects.toThrow();

    expect(deps.audit.records('req-0001').at(-1)?.state).toMatchObject({ status: 'GRANT_FAILED', failure: { error: 'WorkflowStartFailed' } });
  });

  it('records nothing for an ineligible caller', async () => {
    const deps = testDeps();

    await expect(submitRequest(deps, caller('dave'), NEEDS_APPROVAL)).rejects.toBeInstanceOf(ForbiddenError);

    expect(deps.audit.records('req-0001')).toEqual([]);
    expect(deps.workflow.starts).toEqual([]);
  });

  it('refuses a duration longer than the entitlement allows', async () => {
    const deps = testDeps();

    await expect(submitRequest(deps, caller('alice'), { ...NEEDS_APPROVAL, duration: '5h' })).rejects.toMatchObject({
      constructor: ValidationError,
      field: 'duration',
    });
  });

  it('still succeeds when the projection write fails, because the log decides', async () => {
    // Prepare
    const deps = testDeps();
    deps.requests.failSaves = new Error('projection down');

    // Act
    const request = await submitRequest(deps, caller('alice'), NEEDS_APPROVAL);

    // Assess
    expect(request.status).toBe('PENDING_APPROVAL');
    expect(deps.warnings.map((w) => w.message)).toContain('projection write failed; the log stays authoritative');
  });
});
