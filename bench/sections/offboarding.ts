import { offboardingScenario } from '../../local/scale.js';
import { fmt } from '../lib/stats.js';
import type { Section } from '../lib/types.js';

const GRANTS = 1000;
const PENDING = 5;
const LIMIT_TPS = 10;
// Real time: at any higher scale the local DynamoDB work (~10 s real per 1000 grants) and the SDK's
// real-time retry backoff count SCALE× in local time, and the operation's own duration stops meaning
// what it would in AWS (at scale 10: IAM phase 103 s, durationMs ~200 s). At scale 1 both are honest.
const SCALE = 1;

/** 7. Offboarding of one principal with 1000 grants under an IAM throttle. */
export const offboarding: Section = {
  id: 'offboarding',
  title: `offboarding ${GRANTS} grants, IAM throttled at ${LIMIT_TPS} TPS`,
  method:
    `In-process local mode at time scale ${SCALE}. alice requests ${GRANTS} bulk-inline grants through the API with IAM unthrottled (each grant is its own inline policy, ` +
    `so every revoke is its own IAM call; IAM's aggregate inline size quota of 2,048 characters per user, which would stop one principal at ~10 such grants, is lifted for the run) ` +
    `and ${PENDING} prod-deploy requests that wait for approval. Then the simulated IAM admits ${LIMIT_TPS} calls per second of local time (burst ${LIMIT_TPS}) and carol calls POST /offboarding. ` +
    `The IAM phase runs from the first to the last IAM call of the operation (a middleware on the functions' IAM client, local clock); achieved TPS = successful calls / that phase. ` +
    `The operation's own duration is local time too, but its DynamoDB work (two audited writes per request on the in-process dynalite, about 10 s real here) is real time × ${SCALE}.`,
  defaultRun: true,
  async run(ctx) {
    const grants = ctx.quick ? GRANTS / 10 : GRANTS;
    ctx.log(`offboarding: seeding ${grants} grants…`);
    const r = await offboardingScenario({ grants, pending: PENDING, tps: LIMIT_TPS, timeScale: SCALE });
    const phaseS = (r.iam.lastAt - r.iam.firstAt) / 1000;
    const achieved = r.iam.succeeded / phaseS;
    const floorS = (r.iam.succeeded - r.burst) / r.tps;
    const attempts = Object.values(r.iamCalls).reduce((a, b) => a + b, 0);
    const counts = r.result['counts'] as Record<string, number>;
    const lost = counts['FAILED']! > 0 || counts['REVOKED'] !== grants || r.leftInIam > 0 || r.activeAfter > 0;
    return {
      rows: [
        {
          kind: 'value',
          metric: 'operation duration (durationMs, local time)',
          value: `${fmt(r.result['durationMs'] / 1000)} s`,
          n: grants,
          note: `${fmt(r.realMs / 1000)} s real at scale ${SCALE}: local DynamoDB work counts ${SCALE}×`,
        },
        { kind: 'value', metric: 'IAM phase, first → last IAM call (local time)', value: `${fmt(phaseS)} s`, note: `floor ${fmt(floorS)} s (${r.iam.succeeded} calls after a burst of ${r.burst}); target < 120 s` },
        { kind: 'value', metric: 'achieved IAM TPS / limit', value: `${fmt(achieved)} / ${LIMIT_TPS} = ${fmt(achieved / LIMIT_TPS)}` },
        {
          kind: 'value',
          metric: 'IAM calls',
          value: `${r.iam.succeeded} succeeded of ${attempts} that reached IAM (${Object.entries(r.iamCalls).map(([k, v]) => `${k.replace(/Command$/, '')} ${v}`).join(', ')})`,
          note: `${attempts - r.iam.succeeded} throttled by IAM; ${r.result['throttled']} still throttled after the SDK's retry, retried by the operation`,
        },
        {
          kind: 'value',
          metric: 'outcomes',
          value: `${counts['REVOKED']} REVOKED, ${counts['CANCELLED']} CANCELLED, ${counts['FAILED']} FAILED, ${counts['SKIPPED']} SKIPPED`,
          note: `afterwards: ${r.activeAfter} ACTIVE, ${r.revokedAfter} REVOKED, ${r.cancelledAfter} CANCELLED; ${r.leftInIam} grantline-* inline policies left on alice; verified ${r.result['verified']}`,
        },
        { kind: 'value', metric: `seeding ${grants} ACTIVE grants through the API, unthrottled`, value: `${fmt(r.seedMs / 1000)} s real` },
      ],
      notes: lost ? [`offboarding: LOST REVOKES: ${counts['FAILED']} failed, ${r.activeAfter} still ACTIVE, ${r.leftInIam} inline policies left`] : [],
    };
  },
};
