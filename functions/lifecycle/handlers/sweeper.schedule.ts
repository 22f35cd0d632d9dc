import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { grantlineDeps } from '../../shared/deps.js';
import { logger } from '../../shared/logger.js';
import { validationFromZod } from '../../shared/middleware/http.js';
import { SweepScheduleEvent } from '../schemas/events.js';
import { lifecycleSettings } from '../settings.js';
import { sweep, type SweepSummary } from '../use-cases/sweep.js';

/**
 * EventBridge schedule, every 5 minutes. Failures of single requests are in the summary and in the
 * log (and alert after repeated sweeps); the run itself only fails when it cannot run at all, since
 * an immediate retry would do no better than the next sweep.
 */
export const handler = middy<unknown, SweepSummary>().handler(async (raw: unknown, context: Context) => {
  const parsed = SweepScheduleEvent.safeParse(raw, { reportInput: true });
  if (!parsed.success) throw validationFromZod(parsed.error, 'event');
  const summary = await sweep(grantlineDeps(), {
    policy: lifecycleSettings().sweepPolicy,
    remainingMs: () => context.getRemainingTimeInMillis(),
  });
  logger.info('sweep finished', {
    candidates: summary.candidates,
    revoked: summary.revoked.length,
    expired: summary.expired.length,
    approvalsExpired: summary.approvalsExpired.length,
    grantsFailed: summary.grantsFailed.length,
    failed: summary.failed.length,
    repaired: summary.repaired,
    deferred: summary.deferred,
  });
  return summary;
});
