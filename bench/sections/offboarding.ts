import { offboardingScenario } from '../../local/scale.js';
import { fmt } from '../lib/stats.js';
import type { Section } from '../lib/types.js';

const LIMIT_TPS = 10;

/** Offboarding of one principal with 1000 grants under an IAM throttle. */
export const offboarding: Section = {
  id: 'offboarding',
  title: 'offboarding 1000 grants, IAM throttled at 10 TPS',
  method:
    'In-process local mode at time scale 1: at higher scales the local overhead (about 10 s of CPU per 1000 grants: SDK, dynalite, the workflow) is multiplied into local time and hides the IAM pacing. ' +
    'alice holds 1000 ACTIVE grants, each its own inline policy (bulk-inline entitlement; IAM\'s inline size quota raised for the run), and 5 pending requests; ' +
    'the simulated IAM is then throttled to 10 calls per second (burst 10) and carol calls POST /offboarding. Duration is the operation\'s own (local time); ' +
    'the floor is 99 s (1000 calls at 10/s after a burst of 10). One run: it takes about two minutes.',
  defaultRun: true,
  async run(ctx) {
    const grants = ctx.quick ? 100 : 1000;
    ctx.log(`offboarding: seeding ${grants} grants…`);
    const r = await offboardingScenario({ grants, pending: 5, tps: LIMIT_TPS, timeScale: 1 });
    const seconds = (r.result['durationMs'] as number) / 1000;
    const attempts = Object.entries(r.iamCalls).filter(([k]) => k !== 'ListUserPoliciesCommand').reduce((a, [, v]) => a + v, 0);
    const achieved = grants / seconds;
    const counts = r.result['counts'] as Record<string, number>;
    return {
      rows: [
        { kind: 'value', metric: `offboarding duration (local time), ${grants} grants`, value: `${fmt(seconds)} s`, note: `${fmt(r.realMs / 1000)} s real at scale ${r.timeScale}; target < 120 s` },
        { kind: 'value', metric: 'achieved IAM TPS / limit', value: `${fmt(achieved)} / ${LIMIT_TPS} = ${fmt(achieved / LIMIT_TPS)}` },
        { kind: 'value', metric: 'IAM attempts (throttled ones included)', value: `${attempts} for ${grants} objects; ${r.result['throttled']} throttled after SDK retries` },
        { kind: 'value', metric: 'outcomes', value: `${counts['REVOKED']} revoked, ${counts['CANCELLED']} cancelled, ${counts['FAILED']} failed; ${r.leftInIam} left in IAM; verified ${r.result['verified']}` },
        { kind: 'value', metric: 'seeding (1000 auto-approved grants over HTTP)', value: `${fmt(r.seedMs / 1000)} s real` },
      ],
      notes: counts['FAILED'] || r.leftInIam ? [`LOST REVOKES: ${counts['FAILED']} failed, ${r.leftInIam} inline policies left`] : [],
    };
  },
};
