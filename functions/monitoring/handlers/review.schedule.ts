import middy from '@middy/core';
import { SYSTEM_ACTOR } from '../../access/domain/types.js';
import type { ReviewSummary } from '../domain/review.js';
import { logger } from '../../shared/logger.js';
import { validationFromZod } from '../../shared/middleware/http.js';
import { ReviewScheduleEvent } from '../schemas/review.js';
import { monitoringDeps, reviewEnv } from '../settings.js';
import { runReview, type ReviewResult } from '../use-cases/review.js';

export interface ReviewRunResult {
  readonly id: string;
  readonly summary: ReviewSummary;
  readonly truncated: number;
  readonly published: ReviewResult['published'];
}

/**
 * Daily EventBridge schedule, or a direct invoke with `{"remediate": true}`. The report is in the
 * audit log (GET /reviews/{id}); the return value is its summary.
 */
export const handler = middy<unknown, ReviewRunResult>().handler(async (raw: unknown) => {
  const settings = reviewEnv();
  const parsed = ReviewScheduleEvent.safeParse(raw ?? {}, { reportInput: true });
  if (!parsed.success) throw validationFromZod(parsed.error, 'event');
  const { review, published } = await runReview(monitoringDeps(), { actor: SYSTEM_ACTOR, remediate: parsed.data.remediate }, settings);
  logger.info('access review finished', { reviewId: review.id, summary: review.summary, truncated: review.truncated, published });
  return { id: review.id, summary: review.summary, truncated: review.truncated, published };
});
