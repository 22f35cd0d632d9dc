import { auditAt } from '../lib/api.js';
import { cpuSpan } from '../lib/drive.js';
import { fmt, summarize } from '../lib/stats.js';
import { nowMs, sleep } from '../lib/time.js';
import type { Section } from '../lib/types.js';

/** 2. approve→ACTIVE: alice requests prod-deploy (ticket INC-1), bob approves. */
export const approve: Section = {
  id: 'approve',
  title: 'approve→ACTIVE (manual approval)',
  method:
    'Scale 1, example catalog, one request at a time. alice requests prod-deploy PT1H with ticket INC-1; after 100 ms (so the execution waits in AwaitApproval) bob approves; ' +
    'polls every 5 ms from the approve response until ACTIVE. Audit column: GRANTED.at − the deciding APPROVED.at. ' +
    'Each grant is then revoked by alice (prod-deploy is an inline policy and IAM caps inline policy size per user at 2,048 characters), which is timed too.',
  defaultRun: true,
  async run(ctx) {
    const server = await ctx.startServer({ scale: 1 });
    const { api } = server;
    const n = ctx.quick ? 5 : 30;
    const approveMs: number[] = [];
    const toActive: number[] = [];
    const auditToActive: number[] = [];
    const revokeToRevoked: number[] = [];
    const auditRevoke: number[] = [];
    const body = { entitlement: 'prod-deploy', duration: 'PT1H', justification: 'bench: approve to ACTIVE', ticket: 'INC-1' };
    // Warm-up
    for (let i = 0; i < 2; i++) {
      const { request } = await api.submit('alice', body);
      await sleep(100);
      await api.action('bob', request['id'] as string, 'approve');
      await api.waitFor('alice', request['id'] as string, ['ACTIVE']);
      await api.action('alice', request['id'] as string, 'revoke', { reason: 'bench' });
      await api.waitFor('alice', request['id'] as string, ['REVOKED']);
    }
    const cpu = cpuSpan(server);
    for (let i = 0; i < n; i++) {
      const { request } = await api.submit('alice', body);
      const id = request['id'] as string;
      if (request['status'] !== 'PENDING_APPROVAL') throw new Error(`prod-deploy request is ${request['status']}, expected PENDING_APPROVAL`);
      await sleep(100);
      const a = await api.action('bob', id, 'approve', { comment: 'bench' });
      approveMs.push(a.ms);
      const active = await api.waitFor('alice', id, ['ACTIVE'], { pollMs: 5, timeoutMs: 30_000 });
      toActive.push(active.atMs - a.atMs);
      const r0 = nowMs();
      await api.action('alice', id, 'revoke', { reason: 'bench done' });
      const revoked = await api.waitFor('alice', id, ['REVOKED'], { pollMs: 5, timeoutMs: 30_000 });
      revokeToRevoked.push(revoked.atMs - r0);
      const items = await api.audit('alice', id);
      const approvedAt = Date.parse(items.filter((x) => x['action'] === 'APPROVED').at(-1)?.['at'] as string);
      auditToActive.push(auditAt(items, 'GRANTED') - approvedAt);
      auditRevoke.push(auditAt(items, 'REVOKED') - auditAt(items, 'REVOKE_REQUESTED'));
    }
    const cpuMs = cpu();
    const after = await api.iamUser('alice');
    const leftovers = Object.keys((after['inlinePolicies'] as Record<string, unknown>) ?? {});
    return {
      rows: [
        { kind: 'dist', metric: 'approve response → ACTIVE client', unit: 'ms', dist: summarize(toActive) },
        { kind: 'dist', metric: 'approve→ACTIVE audit (APPROVED→GRANTED)', unit: 'ms', dist: summarize(auditToActive) },
        { kind: 'dist', metric: 'POST /requests/{id}/approve → 200', unit: 'ms', dist: summarize(approveMs) },
        { kind: 'dist', metric: 'revoke call → REVOKED client', unit: 'ms', dist: summarize(revokeToRevoked) },
        { kind: 'dist', metric: 'revoke audit (REVOKE_REQUESTED→REVOKED)', unit: 'ms', dist: summarize(auditRevoke) },
        { kind: 'value', metric: 'server CPU per approve+grant+revoke cycle', value: `${fmt(cpuMs / n)} ms`, n },
      ],
      notes: leftovers.length ? [`alice still has inline policies after every request was revoked: ${leftovers.join(', ')}`] : [],
    };
  },
};
