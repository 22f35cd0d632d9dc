import { FailureTaskEvent } from '../schemas/tasks.js';
import { recordRevokeFailure } from '../use-cases/workflow-steps.js';
import { grantlineDeps } from '../../shared/deps.js';
import { taskHandler } from '../../shared/middleware/task.js';

export const handler = taskHandler(FailureTaskEvent, (e) => recordRevokeFailure(grantlineDeps(), e.requestId, e.error.Error, e.error.Cause));
