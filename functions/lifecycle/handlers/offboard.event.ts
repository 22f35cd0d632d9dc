import middy from '@middy/core';
import { grantlineDeps } from '../../shared/deps.js';
import { logger } from '../../shared/logger.js';
import { validationFromZod } from '../../shared/middleware/http.js';
import { OffboardPrincipalEvent } from '../schemas/events.js';
import { lifecycleSettings } from '../settings.js';
import type { BulkRevokeResult } from '../use-cases/bulk-revoke.js';
import { offboard } from '../use-cases/operations.js';

/**
 * EventBridge rule on detail-type "Grantline Offboard Principal". A malformed event throws, so
 * EventBridge's retries end in the dead-letter queue; grants that could not be revoked are
 * REVOKE_FAILED in the log and retried by the sweeper, so a partial result does not throw.
 */
export const handler = middy<unknown, BulkRevokeResult>().handler(async (raw: unknown) => {
  const parsed = OffboardPrincipalEvent.safeParse(raw, { reportInput: true });
  if (!parsed.success) throw validationFromZod(parsed.error, 'event');
  const { source, detail } = parsed.data;
  const result = await offboard(
    grantlineDeps(),
    { actor: `event:${source}`, principal: detail.principal, reason: detail.reason, ...(detail.requestedBy ? { requestedBy: detail.requestedBy } : {}) },
    lifecycleSettings().bulk,
  );
  logger.info('offboarding finished', { operationId: result.operationId, principal: result.principal, counts: result.counts, durationMs: result.durationMs, iamCalls: result.iamCalls });
  return result;
});
