import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from './harness.js';

const SCALE = 600;
const dataDir = mkdtempSync(join(tmpdir(), 'grantline-e2e-'));
let h: Harness | undefined;

afterAll(async () => {
  await h?.local.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('restart with a data dir', () => {
  it('revokes grants that expired while it was down, expires stale approvals and re-arms the rest', async () => {
    h = await startHarness({ timeScale: SCALE, dataDir });
    const short = await h.request('alice', { entitlement: 'prod-readonly', duration: 'PT20M', justification: 'short' });
    const long = await h.request('alice', { entitlement: 'prod-deploy', duration: 'PT2H', justification: 'long', ticket: 'OPS-7' });
    await h.call('bob', 'POST', `/requests/${long.id}/approve`, {});
    const pending = await h.request('alice', { entitlement: 'prod-deploy', duration: 'PT1H', justification: 'pending', ticket: 'OPS-8' });
    await h.waitFor(short.id, ['ACTIVE']);
    await h.waitFor(long.id, ['ACTIVE']);
    await h.local.stop();

    // Down for ~2.5 s of real time = 25 virtual minutes: the 20-minute grant and the 30-minute approval window pass.
    await new Promise((r) => setTimeout(r, 3_200));

    h = await startHarness({ timeScale: SCALE, dataDir });
    expect(h.local.resumed.revoked).toContain(short.id);
    expect(h.local.resumed.expired).toContain(pending.id);
    expect(h.local.resumed.rearmed).toContain(long.id);
    expect((await h.waitFor(short.id, ['EXPIRED'])).status).toBe('EXPIRED');
    expect((await h.waitFor(pending.id, ['APPROVAL_EXPIRED'])).status).toBe('APPROVAL_EXPIRED');
    const user = await h.call(null, 'GET', '/local/iam/users/alice');
    expect(user.json['attachedPolicies']).not.toContain('arn:aws:iam::aws:policy/ReadOnlyAccess');
    expect(user.json['inlinePolicies'][`grantline-${long.id}`]).toBeDefined();

    // The re-armed grant is still revoked by its new execution.
    await h.call('carol', 'POST', `/requests/${long.id}/revoke`, { reason: 'test over' });
    await h.waitFor(long.id, ['REVOKED']);
    const after = await h.call(null, 'GET', '/local/iam/users/alice');
    expect(after.json['inlinePolicies'][`grantline-${long.id}`]).toBeUndefined();
    const audit = await h.call('alice', 'GET', `/requests/${short.id}/audit`);
    expect(audit.json['verified']).toBe(true);
  }, 60_000);
});
