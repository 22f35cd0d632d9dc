import { z } from 'zod';

/** Any ISO 8601 timestamp with a zone; normalised to UTC `toISOString()` form, the form records use for `at`. */
const IsoTime = z.iso.datetime({ offset: true, message: 'must be an ISO 8601 time like 2030-01-15T00:00:00Z' }).transform((s) => new Date(s).toISOString());

export const AnomaliesQuery = z
  .object({
    since: IsoTime,
    limit: z.coerce.number().int('must be an integer').min(1).max(100).default(50),
    nextToken: z.string().max(2048).optional(),
  })
  .strict();
export type AnomaliesQuery = z.infer<typeof AnomaliesQuery>;

export const ReviewIdParams = z.object({ id: z.string().regex(/^[A-Za-z0-9-]{1,64}$/, 'must be a review id') }).strict();

/** Bodies are strict: an unknown field (a typo) is a 400, never silently ignored. */
export const StartReviewBody = z.object({ remediate: z.boolean().default(false) }).strict();
export type StartReviewBody = z.infer<typeof StartReviewBody>;
