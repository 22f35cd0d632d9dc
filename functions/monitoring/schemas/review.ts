import { z } from 'zod';

/**
 * What starts a review: the daily EventBridge schedule (a Scheduled Event, or a rule's constant
 * input), or an operator's direct invoke with `{"remediate": true}`.
 */
export const ReviewScheduleEvent = z.looseObject({
  'detail-type': z.string().optional(),
  source: z.string().optional(),
  time: z.string().optional(),
  remediate: z.boolean().default(false),
});
export type ReviewScheduleEvent = z.infer<typeof ReviewScheduleEvent>;
