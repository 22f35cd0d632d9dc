import { describe, expect, it } from 'vitest';
import { verifyChain } from '../../../functions/access/domain/audit-chain.js';
import { ForbiddenError, IamPermanentError, ValidationError } from '../../../functions/access/domain/errors.js';
import { planGrant } from '../../../functions/access/domain/grant-plan.js';
import { grantExpiry, recordGrant } from '../../../functions/access/domain/lifecycle.js';
import type { GrantDeps } from '../../../functions/access/domain/ports.js';
import { commit } from '../../../functions/access/use-cases/commit.js';
import { revokeAccess } from '../../../functions/access/use-cases/workflow-steps.js';
import type { GrantSpec } from '../../../functions/catalog/schema.js';
import { offboard } from '../../../functions/lifecycle/use-cases/operations.js';
import { sweep } from '../../../functions/lifecycle/use-cases/sweep.js';
import { buildCatalog, POLICIES, roleArn, userArn } from '../../helpers/catalog.js';
import { testDeps, type TestDeps } from '../../helpers/memory.js';
import { caller } from '../../helpers/requests.js';
import { seed, seededRandom, ThrottledIam, VirtualTime } from './helpers.js';

const LEAVER = userArn('leaver');
const STAYER = userArn('stayer');
const INLINE = buildCatalog().entitlements.find((e) => e.id === 'prod-admin')!.grant;
const READ_ONLY: GrantSpec = { type: 'managed-policy', policyArn: POLICIES.readOnly };
const id = (prefix: string, n: number) => `${prefix}-${String(n).padStart(4, '0')}`;

interface Scene {
  readonly deps: TestDeps & GrantDeps;
  readonly iam: ThrottledIam;
  readonly time: VirtualTime;
}

/** 990 inline grants + 10 sharing one managed policy + 3 pending for the leaver; 2 grants for someone staying. */
async function thousandGrants(): Promise<Scene> {
  const base = testDeps();
  const iam = new ThrottledIam(base.clock, 10);
  const deps = { ...base, iam } as unknown as TestDeps & GrantDeps;
  for (let n = 1; n <= 990; n++) await seed(deps, iam, { id: id('inl', n), principal: LEAVER, grant: INLINE, status: 'ACTIVE', ...(n <= 5 ? { tokens: { expiry: `expiry-${n}` } } : {}) });
  for (let n = 1; n <= 10; n++) await seed(deps, iam, { id: id('ro', n), principal: LEAVER, grant: READ_ONLY, status: 'ACTIVE' });
  for (let n = 1; n <= 3; n++) await seed(deps, iam, { id: id('pend', n), principal: LEAVER, grant: READ_ONLY, status: 'PENDING_APPROVAL', tokens: { approval: `approval-${n}` } });
  for (let n = 1; n <= 2; n++) await seed(deps, iam, { id: id('stay', n), principal: STAYER, grant: READ_ONLY, status: 'ACTIVE' });
  return { deps, iam, time: new VirtualTime(base.time) };
}

describe('offboard', () => {
  it('revokes 1000 grants under a 10 TPS IAM throttle in under 2 minutes, losing none', async () => {
    // Prepare
    const { deps, iam, time } = await thousandGrants();
    expect(iam.keysOf({ type: 'user', name: 'leaver' })).toHaveLength(991);
    const startedReal = performance.now();

    // Act
    const result = await time.run(
      offboard(deps, { caller: caller('carol'), principal: LEAVER, reason: 'left the company' }, { sleep: time.sleep, random: seededRandom(), verifier: iam }),
    );

    // Assess: every request accounted for, in the log as well as in the result
    expect(result.results).toHaveLength(1003);
    expect(result.counts).toEqual({ REVOKED: 1000, CANCELLED: 3, FAILED: 0, SKIPPED: 0 });
    for (const r of result.results) {
      const records = deps.audit.records(r.requestId);
      expect(records.at(-1)?.state?.status).toBe(r.requestId.startsWith('pend') ? 'CANCELLED' : 'REVOKED');
      expect(verifyChain(records).verified).toBe(true);
    }
    // IAM: the leaver holds nothing; the 10 managed grants shared one detach (991 objects); the stayer keeps theirs
    expect(iam.keysOf({ type: 'user', name: 'leaver' })).toEqual([]);
    expect(iam.keysOf({ type: 'user', name: 'stayer' })).toHaveLength(1);
    expect(result.objects).toBe(991);
    expect(result.verified).toBe(true);
    // Time: virtual, under the 2-minute target at 10 TPS; real time stays small
    expect(result.durationMs).toBeLessThan(120_000);
    expect(result.durationMs).toBeGreaterThanOrEqual(99_000);
    expect(result.iamCalls).toBe(iam.operations);
    // Pacing keeps throttles rare: a small share of the calls are refused
    expect(result.throttled).toBeLessThan(result.iamCalls / 10);
    expect(performance.now() - startedReal).toBeLessThan(15_000);
  });

  it('records who pulled it and why, on each request and as an operation of its own', async () => {
    // Prepare
    const { deps, iam, time } = await thousandGrants();

    // Act
    const result = await time.run(
      offboard(deps, { caller: caller('carol'), principal: LEAVER, reason: 'left the company' }, { sleep: time.sleep, random: seededRandom(), verifier: iam }),
    );

    // Assess
    const carol = caller('carol').arn;
    expect(deps.audit.records('inl-0001').slice(-2)).toMatchObject([
      { action: 'REVOKE_REQUESTED', actor: carol, reason: 'offboarded: left the company', detail: { operationId: result.operationId } },
      { action: 'REVOKED', actor: carol, reason: 'offboarded: left the company', detail: { operation: 'offboarding', by: carol, removed: true } },
    ]);
    expect(deps.audit.records('ro-0001').at(-1)?.detail).toMatchObject({ sharedBy: 10 });
    expect(deps.audit.records('pend-0001').at(-1)).toMatchObject({ action: 'CANCELLED', actor: carol, reason: 'offboarded: left the company' });
    const operation = deps.audit.records(result.operationId);
    expect(operation).toMatchObject([
      { seq: 1, kind: 'OFFBOARDING', action: 'OFFBOARDING', actor: carol, reason: 'left the company', detail: { phase: 'STARTED', principal: LEAVER, candidates: 1003 } },
      { seq: 2, kind: 'OFFBOARDING', detail: { phase: 'FINISHED', counts: { REVOKED: 1000, CANCELLED: 3 }, durationMs: result.durationMs } },
    ]);
    expect(verifyChain(operation).verified).toBe(true);
    expect(JSON.stringify(operation[1]).length).toBeLessThan(400_000);
  });

  it('wakes waiting executions: expiry tokens succeed, approval tokens fail with RequestCancelled', async () => {
    const { deps, iam, time } = await thousandGrants();

    await time.run(offboard(deps, { caller: caller('carol'), principal: LEAVER, reason: 'left' }, { sleep: time.sleep, random: seededRandom() }));

    expect(deps.workflow.succeeded.map((s) => s.token).sort()).toEqual(['expiry-1', 'expiry-2', 'expiry-3', 'expiry-4', 'expiry-5']);
    expect(deps.workflow.succeeded[0]?.output).toEqual({ signal: 'REVOKE' });
    expect(deps.workflow.failed.map((f) => [f.token, f.error]).sort()).toEqual([
      ['approval-1', 'RequestCancelled'],
      ['approval-2', 'RequestCancelled'],
      ['approval-3', 'RequestCancelled'],
    ]);
    expect(iam.keysOf({ type: 'user', name: 'leaver' })).toEqual([]);
  });

  it('marks the grants of an object it could not remove REVOKE_FAILED, alerts, and the sweeper finishes the job', async () => {
    // Prepare: two inline grants and one managed; the managed detach fails for good once
    const deps = testDeps();
    for (const n of [1, 2]) await seed(deps, deps.iam, { id: id('inl', n), principal: LEAVER, grant: INLINE, status: 'ACTIVE' });
    await seed(deps, deps.iam, { id: 'ro-0001', principal: LEAVER, grant: READ_ONLY, status: 'ACTIVE' });
    const roKey = `user/leaver|policy|${POLICIES.readOnly}`;
    const remove = deps.iam.remove.bind(deps.iam);
    let failed = false;
    deps.iam.remove = async (change) => {
      if (!failed && change.kind === 'managed-policy') {
        failed = true;
        throw new IamPermanentError('AccessDenied: not today');
      }
      return remove(change);
    };

    // Act
    const result = await offboard(deps, { caller: caller('carol'), principal: LEAVER, reason: 'left' }, { sleep: async () => {} });

    // Assess: nothing silently lost
    expect(result.counts).toEqual({ REVOKED: 2, CANCELLED: 0, FAILED: 1, SKIPPED: 0 });
    expect(result.results.find((r) => r.requestId === 'ro-0001')).toMatchObject({ outcome: 'FAILED', status: 'REVOKE_FAILED', error: 'IamPermanentError: AccessDenied: not today' });
    expect(deps.iam.has(roKey)).toBe(true);
    expect(deps.alerts.messages).toContainEqual(expect.objectContaining({ message: expect.objectContaining({ type: 'BulkRevokeFailed', severity: 'HIGH' }) }));

    // Act: the next sweep after the grace period
    deps.time.advance(61);
    const swept = await sweep(deps, { sleep: async () => {} });

    // Assess
    expect(swept.revoked).toEqual(['ro-0001']);
    expect(deps.iam.has(roKey)).toBe(false);
    expect(deps.audit.records('ro-0001').at(-1)).toMatchObject({ action: 'REVOKED', actor: caller('carol').arn });
  });

  it('revokes through the single revoke path a grant that landed while it ran', async () => {
    // Prepare: approved, not granted yet; the grant completes after the revocation is recorded
    const deps = testDeps();
    const approved = await seed(deps, deps.iam, { id: 'ro-0001', principal: LEAVER, grant: READ_ONLY, status: 'APPROVED' });
    const remove = deps.iam.remove.bind(deps.iam);
    let granted = false;
    deps.iam.remove = async (change) => {
      const out = await remove(change);
      if (!granted) {
        // The execution's Grant step had read APPROVED before the revocation: it grants and records GRANTED.
        granted = true;
        await staleGrant(deps, approved.id);
      }
      return out;
    };

    // Act
    const result = await offboard(deps, { caller: caller('carol'), principal: LEAVER, reason: 'left' }, { sleep: async () => {} });

    // Assess
    expect(result.results).toMatchObject([{ requestId: 'ro-0001', outcome: 'REVOKED', status: 'REVOKED' }]);
    expect(deps.iam.has(`user/leaver|policy|${POLICIES.readOnly}`)).toBe(false);
    expect(deps.audit.actions('ro-0001')).toEqual(['REQUESTED', 'REVOKE_REQUESTED', 'GRANTED', 'REVOKED']);
  });

  it('normalises a principal with a path and acts as event:<source> for events', async () => {
    const deps = testDeps();
    await seed(deps, deps.iam, { id: 'r-0001', principal: roleArn('deployer'), grant: READ_ONLY, status: 'ACTIVE' });

    const result = await offboard(deps, { actor: 'event:hr.workday', principal: 'arn:aws:iam::000000000000:role/ci/deployer', reason: 'decommissioned', requestedBy: 'hr-ops' }, { sleep: async () => {} });

    expect(result).toMatchObject({ principal: roleArn('deployer'), actor: 'event:hr.workday', counts: { REVOKED: 1 } });
    expect(deps.audit.records('r-0001').at(-1)).toMatchObject({ actor: 'event:hr.workday' });
    expect(deps.audit.records(result.operationId)[0]?.detail).toMatchObject({ requestedBy: 'hr-ops' });
  });

  it('refuses a caller who is not an admin', async () => {
    const deps = testDeps();
    await seed(deps, deps.iam, { id: 'r-0001', principal: LEAVER, grant: READ_ONLY, status: 'ACTIVE' });

    await expect(offboard(deps, { caller: caller('bob'), principal: LEAVER, reason: 'left' })).rejects.toBeInstanceOf(ForbiddenError);
    expect(deps.audit.actions('r-0001')).toEqual(['REQUESTED', 'GRANTED']);
  });

  it('refuses a principal that is not a user or role of the account', async () => {
    const deps = testDeps();
    const attempt = (principal: string) => offboard(deps, { caller: caller('carol'), principal, reason: 'left' });

    await expect(attempt('arn:aws:sts::000000000000:assumed-role/dev/alice')).rejects.toMatchObject({ name: 'ValidationError', field: 'principal' });
    await expect(attempt('arn:aws:iam::111111111111:user/leaver')).rejects.toBeInstanceOf(ValidationError);
  });

  it('reports a request its own execution closed meanwhile as SKIPPED', async () => {
    const deps = testDeps();
    await seed(deps, deps.iam, { id: 'r-0001', principal: LEAVER, grant: READ_ONLY, status: 'ACTIVE' });
    // Its execution revoked it at expiry, but the projection write failed: the projection still says ACTIVE.
    deps.requests.failSaves = new Error('projection down');
    deps.time.advance(7200);
    await revokeAccess(deps, 'r-0001');
    deps.requests.failSaves = undefined;

    const result = await offboard(deps, { caller: caller('carol'), principal: LEAVER, reason: 'left' }, { sleep: async () => {} });

    expect(result.results).toMatchObject([{ requestId: 'r-0001', outcome: 'SKIPPED', status: 'EXPIRED' }]);
  });
});

/** A Grant step that read APPROVED before the revocation was recorded: applies IAM, records GRANTED. */
async function staleGrant(deps: TestDeps, requestId: string): Promise<void> {
  const state = deps.audit.records(requestId).at(-1)!.state!;
  const expiresAt = grantExpiry(state, deps.clock());
  await deps.iam.apply(planGrant(state, expiresAt.toISOString()));
  await commit(deps, requestId, (s) => (s.status === 'APPROVED' ? recordGrant(s, deps.clock(), expiresAt, {}) : null));
}
