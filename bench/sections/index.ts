/**
 * The registry of benchmark sections, in the order a default run executes them.
 *
 * To add a section: write bench/sections/<name>.ts exporting a `Section` (see bench/lib/types.ts),
 * get a server with `ctx.startServer({...})` (the runner stops it, even on error), return rows
 * built with `summarize()` from bench/lib/stats.ts, and add it to SECTIONS below. Its `id` is what
 * `npm run bench -- --only=<id>` selects. Set `defaultRun: false` for sections too slow for the
 * default run (~3 minutes in total).
 *
 * review-10k and offboarding run the scenarios of local/scale.ts (shared with the end-to-end tests),
 * which start their own in-process instance.
 */
import { approve } from './approve.js';
import { expiryScaled, expiryShort } from './expiry.js';
import { latency } from './latency.js';
import { offboarding } from './offboarding.js';
import { review10k } from './review.js';
import { rss } from './rss.js';
import { throughput } from './throughput.js';
import type { Section } from '../lib/types.js';

export const SECTIONS: readonly Section[] = [
  latency, // 1. request→ACTIVE, auto-approved, c=1 and c=50
  approve, // 2. approve→ACTIVE
  expiryScaled, // 3a. revoke lateness, scale 600
  expiryShort, // 3b. revoke lateness, scale 1, PT5S
  throughput, // 4. sustained req/s for 30 s
  rss, // 5. server RSS after 1000 ACTIVE
  review10k, // 6. access review of 10,000 principals: IAM calls, CPU
  offboarding, // 7. offboarding 1000 grants at 10 TPS: duration, achieved TPS / limit
];
