import { describe, expect, it } from 'vitest';
import { verifyChain } from '../../../../functions/access/domain/audit-chain.js';
import { holdersToKeepFor } from '../../../../functions/access/domain/grant-plan.js';
import type { AccessRequest } from '../../../../functions/access/domain/types.js';
import { revokeRequest } from '../../../../functions/access/use-cases/requests.js';
import { revokeAccess } from '../../../../functions/access/use-cases/workflow-steps.js';
import { POLICIES } from '../../../helpers/catalog.js';
import { testDeps, type TestDeps } from '../../../helpers/memory.js';
import { AUTO_APPROVED, activeRequest, caller, requestState } from '../../../helpers/requests.js';

const READ_ONLY_KEY = `user/alice|policy|${POLICIES.readOnly}`;
const BILLING_KEY = 'user/alice|group|BillingReaders';
const BILLING = { entitlement: 'billing', duration: 'PT1H', justification: 'month end' };

/** `n` ACTIVE grants of the same object to alice, granted one second apart. */
async function grants(deps: TestDeps, n: number, input = AUTO_APPROVED): Promise<AccessRequest[]> {
  const out: AccessRequest[] = [];
  for (let i = 0; i < n; i++) {
    out.push(await activeRequest(deps, input));
    deps.time.advance(1);
  }
  return out;
}

describe('revoking grants that share one IAM object', () => {
  it('detaches a shared managed policy when 20 grants of it expire together', async () => {
    const deps = testDeps();
    const all = await grants(deps, 20);
    deps.time.advance(all[0]!.durationSeconds + 60);

    await Promise.all(all.map((r) => revokeAccess(deps, r.id)));

    expect(deps.iam.has(READ_ONLY_KEY)).toBe(false);
    for (const r of all) expect((await deps.audit.latest(r.id))?.state?.status).toBe('EXPIRED');
  });

  it('removes a shared group membership when 20 grants of it expire together', async () => {
    const deps = testDeps();
    const all = await grants(deps, 20, BILLING);
    deps.time.advance(3600 + 60);

    await Promise.all(all.map((r) => revokeAccess(deps, r.id)));

    expect(deps.iam.has(BILLING_KEY)).toBe(false);
  });

  it('leaves nothing when 20 expiry revokes wake before their expiry', async () => {
    // The workflow's timer may fire a little early: every grant is still live for the others.
    const deps = testDeps();
    const all = await grants(deps, 20);
    deps.time.advance(all[0]!.durationSeconds - 30);

    await Promise.all(all.map((r) => revokeAccess(deps, r.id)));

    expect(deps.iam.has(READ_ONLY_KEY)).toBe(false);
    const kept = all.filter((r) => (deps.audit.records(r.id).at(-1)?.detail as { keptFor: string[] }).keptFor.length === 0);
    expect(kept).toHaveLength(1); // exactly the grant that ends last removed it
    expect(kept[0]!.id).toBe(all.at(-1)!.id);
  });

  it('keeps a shared policy for a grant that expires later', async () => {
    const deps = testDeps();
    const [first, second] = await grants(deps, 2);
    deps.time.advance(first!.durationSeconds - 2); // first has just expired, second has a second left

    await revokeAccess(deps, first!.id);

    expect(deps.iam.has(READ_ONLY_KEY)).toBe(true);
    expect(deps.audit.records(first!.id).at(-1)?.detail).toMatchObject({ keptFor: [second!.id], removed: false });
  });

  it('keeps the policy for another live grant when one is revoked early', async () => {
    const deps = testDeps();
    const [first] = await grants(deps, 2);
    await revokeRequest(deps, caller('alice'), first!.id, 'done');

    await revokeAccess(deps, first!.id);

    expect(deps.iam.has(READ_ONLY_KEY)).toBe(true);
  });

  it('leaves nothing attached after two concurrent early revokes', async () => {
    const deps = testDeps();
    const [first, second] = await grants(deps, 2);
    await revokeRequest(deps, caller('alice'), first!.id, 'done');
    await revokeRequest(deps, caller('alice'), second!.id, 'done too');

    await Promise.all([revokeAccess(deps, first!.id), revokeAccess(deps, second!.id)]);

    expect(deps.iam.has(READ_ONLY_KEY)).toBe(false);
  });

  it('removes the object after committing when the grant it was kept for ended meanwhile', async () => {
    // first wakes a moment early and keeps the policy for second; before first commits, second is
    // revoked early and keeps it for first (still ACTIVE and live). The re-check after first's
    // commit sees nobody left and removes it.
    const deps = testDeps();
    const [first, second] = await grants(deps, 2);
    deps.time.advance(first!.durationSeconds - 10);
    const query = deps.requests.query.bind(deps.requests);
    let interleaved = false;
    deps.requests.query = async (q, page) => {
      const result = await query(q, page);
      if (!interleaved) {
        interleaved = true;
        await revokeRequest(deps, caller('alice'), second!.id, 'done');
        await revokeAccess(deps, second!.id);
      }
      return result;
    };

    await revokeAccess(deps, first!.id);

    expect(deps.iam.has(READ_ONLY_KEY)).toBe(false);
    const chain = deps.audit.records(first!.id);
    expect(chain.map((r) => r.action).slice(-2)).toEqual(['EXPIRED', 'SHARED_ACCESS_REMOVED']);
    expect(chain.at(-1)).toMatchObject({ actor: 'grantline:system', detail: { keptFor: [second!.id], removed: true, verified: true }, state: { status: 'EXPIRED' } });
    expect(verifyChain(chain).verified).toBe(true);
    expect(deps.audit.records(second!.id).at(-1)?.detail).toMatchObject({ keptFor: [first!.id] });
  });

  it('alerts when the re-check cannot remove the object, and keeps the revoke', async () => {
    const deps = testDeps();
    const [first, second] = await grants(deps, 2);
    deps.time.advance(first!.durationSeconds - 10);
    const query = deps.requests.query.bind(deps.requests);
    let interleaved = false;
    deps.requests.query = async (q, page) => {
      const result = await query(q, page);
      if (!interleaved) {
        interleaved = true;
        await revokeRequest(deps, caller('alice'), second!.id, 'done');
        await revokeAccess(deps, second!.id);
        deps.iam.remove = async () => {
          throw new Error('AccessDenied');
        };
      }
      return result;
    };

    const result = await revokeAccess(deps, first!.id);

    expect(result.status).toBe('EXPIRED');
    expect(deps.alerts.messages.some((m) => m.message['type'] === 'SharedAccessNotRemoved' && m.message['requestId'] === first!.id)).toBe(true);
  });
});

describe('holdersToKeepFor', () => {
  const at = (iso: string) => new Date(iso);
  const grant = (id: string, expiresAt: string, extra: Partial<AccessRequest> = {}) =>
    requestState({ id, status: 'ACTIVE', grant: { type: 'managed-policy', policyArn: POLICIES.readOnly }, expiresAt, ...extra });

  it('counts only live holders of the same object', () => {
    const me = grant('a', '2030-01-01T10:00:00.000Z');
    const others = [
      grant('b', '2030-01-01T11:00:00.000Z'),
      grant('c', '2030-01-01T09:00:00.000Z'), // expired
      grant('d', '2030-01-01T11:00:00.000Z', { revocation: { by: 'x', at: '2030-01-01T09:30:00.000Z' } as AccessRequest['revocation'] }),
      grant('e', '2030-01-01T11:00:00.000Z', { status: 'EXPIRED' }),
      grant('f', '2030-01-01T11:00:00.000Z', { grant: { type: 'managed-policy', policyArn: POLICIES.admin } }),
    ];
    expect(holdersToKeepFor(me, others, at('2030-01-01T09:59:59Z')).map((r) => r.id)).toEqual(['b']);
  });

  it('orders grants that expire at the same instant by id, so exactly one removes', () => {
    const a = grant('a', '2030-01-01T10:00:00.000Z');
    const b = grant('b', '2030-01-01T10:00:00.000Z');
    const now = at('2030-01-01T09:59:59Z');
    expect(holdersToKeepFor(a, [b], now)).toHaveLength(1);
    expect(holdersToKeepFor(b, [a], now)).toHaveLength(0);
  });

  it('lets a revoked grant defer to every live holder', () => {
    const revoked = grant('z', '2030-01-01T12:00:00.000Z', { revocation: { by: 'x', at: '2030-01-01T09:00:00.000Z' } as AccessRequest['revocation'] });
    expect(holdersToKeepFor(revoked, [grant('a', '2030-01-01T10:00:00.000Z')], at('2030-01-01T09:00:00Z'))).toHaveLength(1);
  });
});
