import { describe, expect, it } from 'vitest';
import { offboardingScenario, reviewScenario } from '../../local/scale.js';

// Both scenarios start their own local instance, one after the other (local mode is one per process).
describe('at scale, local mode over HTTP', () => {
  it('finds the drift planted in an account of 10,000 principals, in a few paginated IAM calls', async () => {
    const r = await reviewScenario({ users: 7_000, roles: 3_000, drift: 100, leftovers: 50 });
    const findings = r.review.findings as { type: string; principal?: string }[];
    expect(r.review.truncated).toBe(0);
    const drift = findings.filter((f) => f.type === 'DRIFT').map((f) => f.principal).sort();
    expect(drift).toEqual([...r.planted.drift].sort()); // every planted one, and nothing else: not alice's live grant
    const leftovers = findings.filter((f) => f.type === 'GRANTLINE_LEFTOVER').map((f) => f.principal).sort();
    expect(leftovers).toEqual([...r.planted.leftovers].sort());
    // GetAccountAuthorizationDetails pages of 1,000 entities: ~10 calls, never one per principal.
    expect(Object.keys(r.iamCalls)).toEqual(['GetAccountAuthorizationDetailsCommand']);
    expect(r.iamCalls['GetAccountAuthorizationDetailsCommand']).toBeLessThanOrEqual(12);
    expect(r.review.summary.iamCalls).toBe(r.iamCalls['GetAccountAuthorizationDetailsCommand']);
    console.info(`review of ${r.principals} principals: ${r.review.summary.iamCalls} IAM calls, ${Math.round(r.realMs)} ms, ${Math.round(r.cpuMs)} ms CPU`);
  }, 120_000);

  it('offboards 1000 grants under a 10 TPS IAM throttle with no lost revoke', async () => {
    const r = await offboardingScenario({ grants: 1000, pending: 5, tps: 10, timeScale: 20 });
    expect(r.result['counts']).toEqual({ REVOKED: 1000, CANCELLED: 5, FAILED: 0, SKIPPED: 0 });
    expect(r.result['verified']).toBe(true);
    expect(r.activeAfter).toBe(0);
    expect(r.revokedAfter).toBe(1000);
    expect(r.cancelledAfter).toBe(5);
    expect(r.leftInIam).toBe(0);
    // Every grant's inline policy deleted (attempts refused by the throttle are counted too), and the
    // successful ones never faster than IAM admits: 10 per second of local time plus the burst of 10.
    const deletes = r.iamCalls['DeleteUserPolicyCommand'] ?? 0;
    expect(deletes).toBeGreaterThanOrEqual(1000);
    const seconds = (r.result['durationMs'] as number) / 1000;
    expect(1000).toBeLessThanOrEqual(10 * seconds + 10);
    console.info(`offboarding of 1000 grants: ${seconds} s local time at scale ${r.timeScale} (${Math.round(r.realMs)} ms real), ${deletes} IAM calls`);
  }, 180_000);
});
