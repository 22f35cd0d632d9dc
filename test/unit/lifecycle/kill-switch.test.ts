import { describe, expect, it } from 'vitest';
import { verifyChain } from '../../../functions/access/domain/audit-chain.js';
import { ForbiddenError } from '../../../functions/access/domain/errors.js';
import type { GrantSpec } from '../../../functions/catalog/schema.js';
import { killSwitch } from '../../../functions/lifecycle/use-cases/operations.js';
import { buildCatalog, POLICIES, roleArn, userArn } from '../../helpers/catalog.js';
import { testDeps, type TestDeps } from '../../helpers/memory.js';
import { caller } from '../../helpers/requests.js';
import { seed } from './helpers.js';

const INLINE = buildCatalog().entitlements.find((e) => e.id === 'prod-admin')!.grant;
const READ_ONLY: GrantSpec = { type: 'managed-policy', policyArn: POLICIES.readOnly };
const BILLING: GrantSpec = { type: 'group', groupName: 'BillingReaders' };
const instant = { sleep: async () => {} };

/** Grants of three principals, one approved but not granted yet, one pending request. */
async function account(): Promise<TestDeps> {
  const deps = testDeps();
  await seed(deps, deps.iam, { id: 'a-1', principal: userArn('alice'), grant: READ_ONLY, status: 'ACTIVE' });
  await seed(deps, deps.iam, { id: 'a-2', principal: userArn('alice'), grant: BILLING, status: 'ACTIVE' });
  await seed(deps, deps.iam, { id: 'b-1', principal: userArn('bob'), grant: READ_ONLY, status: 'ACTIVE' });
  await seed(deps, deps.iam, { id: 'r-1', principal: roleArn('deployer'), grant: INLINE, status: 'ACTIVE', tokens: { expiry: 'expiry-r-1' } });
  await seed(deps, deps.iam, { id: 'r-2', principal: roleArn('deployer'), grant: INLINE, status: 'APPROVED' });
  await seed(deps, deps.iam, { id: 'p-1', principal: userArn('dave'), grant: READ_ONLY, status: 'PENDING_APPROVAL' });
  return deps;
}

describe('killSwitch', () => {
  it('revokes every grant across principals and records who pulled it and why', async () => {
    // Prepare
    const deps = await account();
    expect(deps.iam.objects.size).toBe(4);
    const carol = caller('carol').arn;

    // Act
    const result = await killSwitch(deps, { caller: caller('carol'), reason: 'credential leak', confirm: 'REVOKE ALL' }, instant);

    // Assess: IAM is empty, every holding request is closed, the pending one is untouched
    expect(deps.iam.objects.size).toBe(0);
    expect(result).toMatchObject({ operation: 'kill-switch', actor: carol, reason: 'credential leak', counts: { REVOKED: 5, FAILED: 0 } });
    expect(result.results.map((r) => r.requestId).sort()).toEqual(['a-1', 'a-2', 'b-1', 'r-1', 'r-2']);
    for (const id of ['a-1', 'a-2', 'b-1', 'r-1']) {
      expect(deps.audit.records(id).at(-1)).toMatchObject({ action: 'REVOKED', actor: carol, reason: 'kill switch: credential leak', detail: { operation: 'kill-switch' } });
      expect(verifyChain(deps.audit.records(id)).verified).toBe(true);
    }
    expect(deps.audit.records('r-2').at(-1)).toMatchObject({ action: 'REVOKED', actor: carol, detail: { granted: false } });
    expect(deps.audit.records('p-1').at(-1)?.state?.status).toBe('PENDING_APPROVAL');
    expect(deps.workflow.succeeded).toEqual([{ token: 'expiry-r-1', output: { signal: 'REVOKE' } }]);

    // The operation is in the log, and on-call heard of it
    expect(deps.audit.records(result.operationId)).toMatchObject([
      { kind: 'KILL_SWITCH', action: 'KILL_SWITCH', actor: carol, reason: 'credential leak', detail: { phase: 'STARTED', candidates: 5 } },
      { kind: 'KILL_SWITCH', detail: { phase: 'FINISHED', counts: { REVOKED: 5 } } },
    ]);
    expect(deps.alerts.messages[0]).toMatchObject({ message: { type: 'KillSwitch', severity: 'HIGH', actor: carol, reason: 'credential leak', grants: 5 } });
  });

  it('detaches a policy shared by two principals once per principal', async () => {
    const deps = await account();

    const result = await killSwitch(deps, { caller: caller('carol'), reason: 'credential leak', confirm: 'REVOKE ALL' }, instant);

    // alice: policy + group; bob: policy; deployer: two inline policies
    expect(result.objects).toBe(5);
    expect(deps.iam.calls.filter((c) => c.op === 'remove')).toHaveLength(5);
  });

  it.each(['revoke all', 'REVOKE ALL ', 'yes', ''])('refuses confirm %j, naming the field', async (confirm) => {
    const deps = await account();

    await expect(killSwitch(deps, { caller: caller('carol'), reason: 'leak', confirm })).rejects.toMatchObject({ name: 'ValidationError', field: 'confirm' });
    expect(deps.iam.objects.size).toBe(4);
  });

  it('refuses a caller who is not an admin, before looking at the confirmation', async () => {
    const deps = await account();

    await expect(killSwitch(deps, { caller: caller('bob'), reason: 'leak', confirm: 'nope' })).rejects.toBeInstanceOf(ForbiddenError);
    expect(deps.iam.objects.size).toBe(4);
    expect(deps.alerts.messages).toEqual([]);
  });
});
