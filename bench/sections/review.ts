import { reviewScenario } from '../../local/scale.js';
import { fmt, summarize } from '../lib/stats.js';
import type { Section } from '../lib/types.js';

const USERS = 7_000;
const ROLES = 3_000;
const DRIFT = 300;
const LEFTOVERS = 150;
const MISSING = 20;
const RUNS = 5;

/** 6. The access review over an account of 10,000 principals. */
export const review10k: Section = {
  id: 'review-10k',
  title: 'access review, 10,000 principals',
  method:
    `In-process local mode (startGrantline, scale 1). The simulated account is seeded directly (local/scale.ts seedReviewAccount): ` +
    `${USERS.toLocaleString('en')} users and ${ROLES.toLocaleString('en')} roles; every user in one or two of 24 team groups, a third with IAMReadOnlyAccess, a fifth with an inline policy; ` +
    `half the roles with AmazonS3ReadOnlyAccess, a quarter with an inline policy, 30 service-linked. Planted: ${DRIFT} principals with power outside Grantline ` +
    `(AdministratorAccess, admin groups, admin-like inline policies, PowerUserAccess/IAMFullAccess on roles, the catalog's ReadOnlyAccess or prod-admins without a request), ` +
    `${LEFTOVERS} with a leftover grantline-<id> inline policy, ${MISSING} catalog users deleted; alice holds two live grants (managed and inline). ` +
    `carol runs POST /reviews ${RUNS} times over HTTP on the same instance; IAM calls are counted by the simulated account, CPU is this process during the call (the review runs in it) and the review's own summary.cpuMs.`,
  defaultRun: true,
  async run(ctx) {
    const plan = ctx.quick
      ? { users: USERS / 10, roles: ROLES / 10, drift: DRIFT / 10, leftovers: LEFTOVERS / 10, missing: MISSING / 10, runs: 2 }
      : { users: USERS, roles: ROLES, drift: DRIFT, leftovers: LEFTOVERS, missing: MISSING, runs: RUNS };
    ctx.log(`review-10k: seeding ${plan.users + plan.roles} principals, then ${plan.runs} reviews`);
    const r = await reviewScenario(plan);
    const calls = Object.values(r.iamCalls).reduce((a, b) => a + b, 0);
    const byType = r.review.summary.byType as Record<string, number>;
    const found = (type: string) => new Set((r.review.findings as { type: string; principal?: string }[]).filter((f) => f.type === type).map((f) => f.principal));
    const misses = (
      [
        ['DRIFT', r.planted.drift],
        ['GRANTLINE_LEFTOVER', r.planted.leftovers],
        ['MISSING_PRINCIPAL', r.planted.missing],
      ] as const
    ).flatMap(([type, planted]) => {
      const reported = found(type);
      const missed = planted.filter((p) => !reported.has(p)).length;
      const extra = reported.size - (planted.length - missed);
      return missed || extra ? [`${type}: ${missed} planted not reported, ${extra} reported not planted`] : [];
    });
    return {
      rows: [
        { kind: 'dist', metric: 'POST /reviews → 201', unit: 'ms', dist: summarize(r.runs.map((run) => run.realMs)) },
        { kind: 'dist', metric: 'process CPU during the review', unit: 'ms', dist: summarize(r.runs.map((run) => run.cpuMs)) },
        { kind: 'dist', metric: "review's own CPU (summary.cpuMs)", unit: 'ms', dist: summarize(r.runs.map((run) => run.review.summary.cpuMs as number)) },
        {
          kind: 'value',
          metric: 'IAM calls per review',
          value: `${calls} (${Object.entries(r.iamCalls).map(([k, v]) => `${k.replace(/Command$/, '')} ${v}`).join(', ')})`,
          n: r.principals,
          note: `${r.entities} users, roles and groups at 1,000 a page; same count in every run: ${r.runs.every((run) => Object.values(run.iamCalls).reduce((a, b) => a + b, 0) === calls)}`,
        },
        { kind: 'value', metric: 'IAM calls per 1,000 principals', value: fmt((calls * 1000) / r.principals) },
        {
          kind: 'value',
          metric: 'findings',
          value: `${r.review.summary.findings}: drift ${byType['DRIFT']}, leftovers ${byType['GRANTLINE_LEFTOVER']}, missing principals ${byType['MISSING_PRINCIPAL']}, unused entitlements ${byType['UNUSED_ENTITLEMENT']}`,
          note: misses.length ? 'MISMATCH, see notes' : `planted ${r.planted.drift.length} / ${r.planted.leftovers.length} / ${r.planted.missing.length}, all reported, none extra; ${r.review.summary.skipped} skipped (service-linked)`,
        },
      ],
      notes: misses.map((m) => `review-10k: ${m}`),
    };
  },
};
