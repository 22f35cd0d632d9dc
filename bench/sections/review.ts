import { reviewScenario } from '../../local/scale.js';
import { fmt, summarize } from '../lib/stats.js';
import type { Section } from '../lib/types.js';

/** The access review over an account of 10,000 principals. */
export const review10k: Section = {
  id: 'review-10k',
  title: 'access review, 10,000 principals',
  method:
    'In-process local mode; the simulated account is seeded with 7,000 users and 3,000 roles (a tenth in groups, a third with a read-only policy, ' +
    '100 with AdministratorAccess outside Grantline, 50 with a leftover grantline-* inline policy) and alice holds one live grant. carol runs POST /reviews; ' +
    'IAM calls are counted by the simulated account, CPU is this process (the review runs in it) during the call. Median of 3 runs, each on a fresh instance.',
  defaultRun: true,
  async run(ctx) {
    const runs = ctx.quick ? 1 : 3;
    const users = ctx.quick ? 700 : 7_000;
    const roles = ctx.quick ? 300 : 3_000;
    const wall: number[] = [];
    const cpu: number[] = [];
    const reviewCpu: number[] = [];
    let last: Awaited<ReturnType<typeof reviewScenario>> | undefined;
    for (let i = 0; i < runs; i++) {
      ctx.log(`review-10k: run ${i + 1}/${runs}`);
      last = await reviewScenario({ users, roles });
      wall.push(last.realMs);
      cpu.push(last.cpuMs);
      reviewCpu.push(last.review.summary.cpuMs);
    }
    const r = last!;
    const calls = Object.values(r.iamCalls).reduce((a, b) => a + b, 0);
    const byType = r.review.summary.byType as Record<string, number>;
    const missed = r.planted.drift.length - (byType['DRIFT'] ?? 0);
    return {
      rows: [
        { kind: 'dist', metric: 'POST /reviews → 201', unit: 'ms', dist: summarize(wall) },
        { kind: 'dist', metric: 'process CPU during the review', unit: 'ms', dist: summarize(cpu) },
        { kind: 'dist', metric: "review's own CPU (summary.cpuMs)", unit: 'ms', dist: summarize(reviewCpu) },
        { kind: 'value', metric: 'IAM calls', value: `${calls} (${Object.entries(r.iamCalls).map(([k, v]) => `${k.replace(/Command$/, '')} ${v}`).join(', ')})`, n: r.principals },
        { kind: 'value', metric: 'IAM calls per 1,000 principals', value: fmt((calls * 1000) / r.principals) },
        { kind: 'value', metric: 'findings (drift / leftovers / other)', value: `${byType['DRIFT'] ?? 0} / ${byType['GRANTLINE_LEFTOVER'] ?? 0} / ${r.review.summary.findings - (byType['DRIFT'] ?? 0) - (byType['GRANTLINE_LEFTOVER'] ?? 0)}` },
      ],
      notes: missed !== 0 ? [`planted ${r.planted.drift.length} drift principals, the review reported ${byType['DRIFT'] ?? 0}`] : [],
    };
  },
};
