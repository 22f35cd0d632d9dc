import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_PAGE_SIZE } from '../../functions/monitoring/adapters/iam-inventory.js';
import { scenarioCatalog, seedReviewAccount, type SeededAccount } from '../../local/scale.js';
import { type Harness, type Json, arn, startHarness } from './harness.js';

const USERS = 7_000;
const ROLES = 3_000;
const MISSING = 20;
const dir = mkdtempSync(join(tmpdir(), 'grantline-review-scale-'));
let h: Harness;
let seeded: SeededAccount;
const live: string[] = [];

beforeAll(async () => {
  h = await startHarness({ schedules: false, catalogFile: scenarioCatalog(dir, { formerStaff: MISSING }) });
  // Grantline's own live grants: a managed policy and a grantline-<id> inline policy.
  for (const entitlement of ['prod-readonly', 'bulk-inline']) {
    const req = await h.request('alice', { entitlement, duration: 'PT1H', justification: 'live grant during the review' });
    live.push((await h.waitFor(req.id, ['ACTIVE'])).id);
  }
  seeded = seedReviewAccount(h.local.iam, { users: USERS, roles: ROLES, drift: 300, leftovers: 150, missing: MISSING });
});
afterAll(async () => {
  await h?.local.stop();
  rmSync(dir, { recursive: true, force: true });
});

const principalsOf = (findings: Json[], type: string) => findings.filter((f) => f.type === type).map((f) => f.principal as string).sort();

describe('access review at scale', () => {
  it('finds drift on a seeded account of 10,000 principals', async () => {
    // Act
    h.local.iam.resetCalls();
    const started = performance.now();
    const run = await h.call('carol', 'POST', '/reviews', {});
    const realMs = performance.now() - started;

    // Assess: every planted finding, by principal, and nothing else
    expect(run.status).toBe(201);
    const review = run.json['review'] as Json;
    const findings = review['findings'] as Json[];
    expect(review['truncated']).toBe(0);
    expect(principalsOf(findings, 'DRIFT')).toEqual([...seeded.planted.drift].sort());
    expect(principalsOf(findings, 'GRANTLINE_LEFTOVER')).toEqual([...seeded.planted.leftovers].sort());
    expect(principalsOf(findings, 'MISSING_PRINCIPAL')).toEqual([...seeded.planted.missing].sort());
    // alice's live grants (ReadOnlyAccess attached, a grantline-<id> inline policy) are explained
    expect(findings.filter((f) => f.principal === arn('alice'))).toEqual([]);
    expect(review['summary']).toMatchObject({ principals: h.local.iam.users().length + h.local.iam.roles().length, skipped: seeded.serviceRoles });
    expect(findings.find((f) => f.principal === seeded.planted.drift[0])).toMatchObject({
      severity: 'HIGH',
      holdings: [{ kind: 'managed-policy', name: 'arn:aws:iam::aws:policy/AdministratorAccess', reason: 'elevated' }],
    });

    // Assess: IAM read in pages of GetAccountAuthorizationDetails, never per principal
    const pages = Math.ceil(seeded.entities / MAX_PAGE_SIZE);
    expect(Object.fromEntries(h.local.iam.calls)).toEqual({ GetAccountAuthorizationDetailsCommand: pages });
    expect(review['summary'].iamCalls).toBe(pages);
    console.info(
      `review of ${review['summary'].principals} principals (${seeded.entities} IAM entities): ${pages} IAM calls, ` +
        `${findings.length} findings, ${Math.round(realMs)} ms, review CPU ${review['summary'].cpuMs} ms`,
    );
  }, 60_000);
});
