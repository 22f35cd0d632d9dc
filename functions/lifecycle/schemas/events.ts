import { z } from 'zod';
import { PrincipalArn } from './api.js';

export const OFFBOARD_DETAIL_TYPE = 'Grantline Offboard Principal';

/**
 * An offboarding event, e.g. from an HR or IdP system. Unknown detail fields are dropped rather
 * than refused: an upstream system adding a field must not stop offboardings.
 */
export const OffboardPrincipalEvent = z.looseObject({
  'detail-type': z.literal(OFFBOARD_DETAIL_TYPE),
  source: z.string().min(1).max(256),
  id: z.string().optional(),
  detail: z.object({
    principal: PrincipalArn,
    reason: z.string().trim().min(1, 'must not be empty').max(1000),
    requestedBy: z.string().trim().min(1).max(512).optional(),
  }),
});
export type OffboardPrincipalEvent = z.infer<typeof OffboardPrincipalEvent>;

/** The EventBridge schedule's event; the sweeper only needs to be woken, so anything object-shaped is accepted. */
export const SweepScheduleEvent = z.looseObject({
  'detail-type': z.string().optional(),
  source: z.string().optional(),
  time: z.string().optional(),
});
export type SweepScheduleEvent = z.infer<typeof SweepScheduleEvent>;
