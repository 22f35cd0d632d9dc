import middy from '@middy/core';
import { logger } from '../../shared/logger.js';
import { validationFromZod } from '../../shared/middleware/http.js';
import { CloudTrailEvent } from '../schemas/cloudtrail.js';
import { anomalyEnv, monitoringDeps } from '../settings.js';
import { checkCloudTrailEvent } from '../use-cases/anomalies.js';

export interface IamChangeResult {
  readonly outcome: string;
  readonly eventId: string;
  readonly requestId?: string;
  readonly anomalyId?: string;
}

/**
 * EventBridge rule on CloudTrail IAM writes (WATCHED_IAM_EVENTS), and optionally on other services'
 * CloudTrail events for the in-window watch. A malformed event throws, so EventBridge's retries end
 * in the dead-letter queue; every outcome is logged (failed calls are ignored, and counted there).
 */
export const handler = middy<unknown, IamChangeResult>().handler(async (raw: unknown) => {
  const settings = anomalyEnv();
  const parsed = CloudTrailEvent.safeParse(raw, { reportInput: true });
  if (!parsed.success) throw validationFromZod(parsed.error, 'event');
  const result = await checkCloudTrailEvent(monitoringDeps(), parsed.data, settings);
  const { detail } = parsed.data;
  const summary: IamChangeResult = {
    outcome: result.outcome,
    eventId: result.eventId,
    ...(result.outcome === 'normal' ? { requestId: result.requestId } : {}),
    ...(result.outcome === 'anomaly' ? { anomalyId: result.record.requestId } : {}),
  };
  logger.info('cloudtrail event checked', {
    ...summary,
    ...(result.outcome === 'ignored' ? { reason: result.reason } : {}),
    ...(result.outcome === 'anomaly' ? { reasons: result.reasons, reverted: result.reverted } : {}),
    eventName: detail.eventName,
    eventSource: detail.eventSource,
    errorCode: detail.errorCode,
    mode: settings.mode,
  });
  return summary;
});
