import { auditAt, type ClockSample, type CreateBody, virtualToReal } from '../lib/api.js';
import { fmt, summarize } from '../lib/stats.js';
import { nowMs, pool, sleep, sleepUntil } from '../lib/time.js';
import type { BenchContext, Row, Section, SectionResult } from '../lib/types.js';

interface ExpiryPlan {
  readonly scale: number;
  readonly catalog?: string;
  readonly body: CreateBody;
  readonly n: number;
  readonly label: string;
  /** First time one grant alone, so contention among the `n` can be told apart from the base cost. */
  readonly solo?: boolean;
}

/**
 * Grants `n` requests at once, then watches them expire: client-observed (one poller listing EXPIRED
 * requests every 5 ms from just before the first expected real expiry) and audit-recorded
 * (EXPIRED.at − expiresAt, virtual). Then checks that IAM holds nothing any more.
 */
async function measureExpiry(ctx: BenchContext, plan: ExpiryPlan): Promise<SectionResult> {
  const server = await ctx.startServer({ scale: plan.scale, ...(plan.catalog ? { catalog: plan.catalog } : {}) });
  const { api } = server;
  ctx.log(`${plan.label}: server up in ${fmt(server.startMs)} ms (${server.mode}, scale ${plan.scale})`);

  // Warm-up of the grant and revoke paths; revoked early so it does not expire during the measurement.
  for (let i = 0; i < 2; i++) {
    const { request } = await api.submit('alice', plan.body);
    await api.waitFor('alice', request['id'] as string, ['ACTIVE'], { pollMs: 10 });
    await api.action('alice', request['id'] as string, 'revoke', { reason: 'bench warm-up' });
    await api.waitFor('alice', request['id'] as string, ['REVOKED'], { pollMs: 10 });
  }

  let soloLateMs: number | undefined;
  if (plan.solo) {
    const { request } = await api.submit('alice', plan.body);
    const expired = await api.waitFor('alice', request['id'] as string, ['EXPIRED'], { pollMs: 50, timeoutMs: 120_000 });
    const items = await api.audit('alice', request['id'] as string);
    soloLateMs = (auditAt(items, 'EXPIRED') - Date.parse(expired.request['expiresAt'] as string)) / plan.scale;
  }

  // At scale 1 the server's clock is the wall clock; otherwise anchor virtual to real time.
  const sample: ClockSample | undefined = plan.scale === 1 ? undefined : await api.clockSample();
  const toReal = (virtualMs: number) => (sample ? virtualToReal(sample, plan.scale, virtualMs) : virtualMs);

  const granted = await pool(plan.n, plan.n, async () => {
    const { request } = await api.submit('alice', plan.body);
    const seen = await api.waitFor('alice', request['id'] as string, ['ACTIVE'], { pollMs: 20, timeoutMs: 30_000 });
    return seen.request;
  });
  const realDurationMs = Number(granted[0]!['durationSeconds']) * 1000 / plan.scale;
  ctx.log(`${plan.label}: ${granted.length} ACTIVE; they expire in ~${fmt(realDurationMs / 1000)} s real`);

  // One observer for all of them: GET /requests?status=EXPIRED every 5 ms from just before the first
  // expected expiry. (One poller per request every 5 ms would itself load the server that revokes.)
  const expected = new Map(granted.map((r) => [r['id'] as string, toReal(Date.parse(r['expiresAt'] as string))]));
  const seenAt = new Map<string, number>();
  await sleepUntil(Math.min(...expected.values()) - 30);
  const giveUp = nowMs() + 30_000 + realDurationMs;
  while (seenAt.size < expected.size && nowMs() < giveUp) {
    const r = await api.call('carol', 'GET', '/requests?status=EXPIRED&limit=100');
    const at = nowMs();
    for (const item of (r.json['items'] as { id: string }[] | undefined) ?? []) if (expected.has(item.id) && !seenAt.has(item.id)) seenAt.set(item.id, at);
    await sleep(5);
  }
  if (seenAt.size < expected.size) throw new Error(`${expected.size - seenAt.size} of ${expected.size} grants not EXPIRED 30 s after their expiry`);
  const observed = await pool(granted.length, 8, async (i) => {
    const r = granted[i]!;
    const id = r['id'] as string;
    const items = await api.audit('alice', id);
    return {
      clientLateMs: seenAt.get(id)! - expected.get(id)!,
      auditLateVirtualMs: auditAt(items, 'EXPIRED') - Date.parse(r['expiresAt'] as string),
      grantStepVirtualMs: auditAt(items, 'GRANTED') - Date.parse(r['grantedAt'] as string),
      detail: (items.find((x) => x['action'] === 'EXPIRED')?.['detail'] ?? {}) as { removed?: boolean; keptFor?: string[] },
    };
  });

  const audit = observed.map((o) => o.auditLateVirtualMs);
  const rows: Row[] = [];
  if (plan.scale !== 1) {
    rows.push(
      { kind: 'dist', metric: `${plan.label}: lateness audit, virtual`, unit: 's', dist: summarize(audit.map((v) => v / 1000)) },
      { kind: 'dist', metric: `${plan.label}: lateness audit, in real time (virtual ÷ ${plan.scale})`, unit: 'ms', dist: summarize(audit.map((v) => v / plan.scale)) },
    );
  } else {
    rows.push({ kind: 'dist', metric: `${plan.label}: lateness audit (EXPIRED.at − expiresAt)`, unit: 'ms', dist: summarize(audit) });
  }
  if (soloLateMs !== undefined) rows.push({ kind: 'value', metric: `${plan.label}: lateness audit, one grant alone`, value: `${fmt(soloLateMs)} ms`, n: 1 });
  rows.push({ kind: 'dist', metric: `${plan.label}: lateness client-observed, real`, unit: 'ms', dist: summarize(observed.map((o) => o.clientLateMs)) });

  // Every grant has ended: nothing may still be attached.
  const user = await api.iamUser('alice');
  const attached = (user['attachedPolicies'] as string[]) ?? [];
  const decision = await api.simulate('alice', 's3:GetObject', 'arn:aws:s3:::prod-data/report.csv');
  rows.push({
    kind: 'value',
    metric: `${plan.label}: IAM after all ${granted.length} grants ended`,
    value: attached.length ? `LEAK: ${attached.map((a) => a.split('/').pop()).join(', ')} still attached` : 'clean',
    note: `alice s3:GetObject → ${decision}`,
  });
  const grantStep = summarize(observed.map((o) => o.grantStepVirtualMs / plan.scale)).median;
  const notes = [
    plan.scale === 1
      ? `${plan.label}: expiresAt is stamped at the start of the Grant step (median ${fmt(grantStep)} ms real here) and the expiry wait is armed after it for ceil(seconds left), ` +
        'so it ends about one grant step after expiresAt; Revoke (query of the principal\'s other grants, IAM detach + check, audit append, projection) comes on top. ' +
        `Grants expiring together are revoked one after another on the single server thread${soloLateMs !== undefined ? ` (one alone: ${fmt(soloLateMs)} ms late)` : ''}.`
      : `${plan.label}: one real millisecond is ${fmt(plan.scale / 1000)} virtual seconds, so the virtual lateness is mostly real processing time × ${plan.scale} ` +
        `(median grant step ${fmt(grantStep)} ms real); the real-time rows are the ones to compare with scale 1.`,
  ];
  if (sample) notes.push(`${plan.label}: virtual clock anchored with a ${fmt(sample.rttMs)} ms round trip (client-observed lateness is good to ±${fmt(sample.rttMs / 2)} ms).`);
  if (attached.length) {
    const removed = observed.filter((o) => o.detail.removed === true).length;
    const keptForOthers = observed.filter((o) => o.detail.removed === false && (o.detail.keptFor?.length ?? 0) > 0).length;
    notes.push(
      `${plan.label}: BUG — all ${granted.length} grants of the same managed policy are EXPIRED, yet ${attached.join(', ')} is still attached to alice (s3:GetObject → ${decision}). ` +
        `Audit: ${removed} of ${observed.length} EXPIRED records say removed: true; ${keptForOthers} say removed: false with keptFor naming other requests. ` +
        'Revoke keeps a shared attachment while another request of the principal is still ACTIVE (otherHolders/planRevoke); revokes running at the same time each see the others ACTIVE, so nobody detaches it.',
    );
  }
  return { rows, notes };
}

/** 3a. Expiry lateness with a scaled clock: scale 600, PT30M grants (3 s real). */
export const expiryScaled: Section = {
  id: 'expiry-scaled',
  title: 'revoke lateness after expiry, scaled clock',
  method:
    'Scale 600, example catalog: 20 alice prod-readonly PT30M grants at once (3 s real). Virtual lateness = EXPIRED.at − expiresAt from the audit; ' +
    'client-observed = when GET /requests?status=EXPIRED (one poller, every 5 ms) first lists it, minus the real time of expiresAt (virtual clock anchored through POST /local/iam/simulate).',
  defaultRun: true,
  run: (ctx) =>
    measureExpiry(ctx, {
      scale: 600,
      body: { entitlement: 'prod-readonly', duration: 'PT30M', justification: 'bench: expiry lateness, scaled' },
      n: ctx.quick ? 5 : 20,
      label: 'scale 600, PT30M',
    }),
};

/** 3b. Expiry lateness at scale 1 with 5-second grants from the bench catalog. */
export const expiryShort: Section = {
  id: 'expiry-short',
  title: 'revoke lateness after expiry, unscaled short grants',
  method:
    'Scale 1, bench catalog: first one bench-short PT5S grant alone, then 20 alice bench-short PT5S grants at once. Lateness = EXPIRED.at − expiresAt (real ms at scale 1); ' +
    'client-observed = when GET /requests?status=EXPIRED (one poller, every 5 ms) first lists it, minus expiresAt.',
  defaultRun: true,
  run: (ctx) =>
    measureExpiry(ctx, {
      scale: 1,
      catalog: ctx.benchCatalog,
      body: { entitlement: 'bench-short', duration: 'PT5S', justification: 'bench: expiry lateness, unscaled' },
      n: ctx.quick ? 5 : 20,
      label: 'scale 1, PT5S',
      solo: true,
    }),
};
