import middy from '@middy/core';
import { grantlineDeps } from '../../shared/deps.js';
import { logger } from '../../shared/logger.js';
import { validationFromZod } from '../../shared/middleware/http.js';
import { ExecutionStatusChangeEvent } from '../schemas/execution.js';
import { executionEnv } from '../settings.js';
import { type ExecutionEndedOutcome, onExecutionEnded } from '../use-cases/execution-ended.js';

/**
 * EventBridge rule on "Step Functions Execution Status Change" of the access workflow with status
 * FAILED, TIMED_OUT or ABORTED. Failures to record throw, so EventBridge retries; a redelivery finds
 * the request already marked.
 */
export const handler = middy<unknown, ExecutionEndedOutcome>().handler(async (raw: unknown) => {
  const parsed = ExecutionStatusChangeEvent.safeParse(raw, { reportInput: true });
  if (!parsed.success) throw validationFromZod(parsed.error, 'event');
  const outcome = await onExecutionEnded(grantlineDeps(), parsed.data.detail, executionEnv());
  logger.info('workflow execution ended', { ...outcome });
  return outcome;
});
