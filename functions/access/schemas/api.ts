import { z } from 'zod';
import { STATUSES } from '../domain/types.js';

const Text = (max: number) => z.string().trim().min(1, 'must not be empty').max(max, `must be at most ${max} characters`);

/** Bodies are strict: an unknown field (a typo) is a 400, never silently ignored. */
export const CreateRequestBody = z
  .object({
    entitlement: z.string().min(1, 'must not be empty').max(64),
    duration: z.string().min(1, 'must not be empty').max(32),
    justification: Text(1000).refine((s) => s.length >= 3, 'must say why (at least 3 characters)'),
    ticket: z.string().trim().max(64).optional(),
  })
  .strict();
export type CreateRequestBody = z.infer<typeof CreateRequestBody>;

export const ApproveBody = z.object({ comment: Text(1000).optional() }).strict();
export type ApproveBody = z.infer<typeof ApproveBody>;

export const DenyBody = z.object({ reason: Text(1000) }).strict();
export type DenyBody = z.infer<typeof DenyBody>;

export const CancelBody = z.object({ reason: Text(1000).optional() }).strict();
export type CancelBody = z.infer<typeof CancelBody>;

export const RevokeBody = z.object({ reason: Text(1000).optional() }).strict();
export type RevokeBody = z.infer<typeof RevokeBody>;

export const RequestIdParams = z.object({ id: z.string().regex(/^[A-Za-z0-9-]{1,64}$/, 'must be a request id') }).strict();

const Flag = z.enum(['true', 'false']);

export const ListRequestsQuery = z
  .object({
    mine: Flag.optional(),
    status: z.enum(STATUSES).optional(),
    pendingMyApproval: Flag.optional(),
    limit: z.coerce.number().int('must be an integer').min(1).max(100).default(50),
    nextToken: z.string().max(2048).optional(),
  })
  .strict()
  .refine((q) => [q.mine === 'true', q.status !== undefined, q.pendingMyApproval === 'true'].filter(Boolean).length <= 1, {
    message: 'use only one of mine, status and pendingMyApproval',
    path: ['status'],
  });
export type ListRequestsQuery = z.infer<typeof ListRequestsQuery>;

export const NoQuery = z.object({}).strict();
