import { FailureTaskEvent } from '../schemas/tasks.js';
import { recordGrantFailure } from '../use-cases/workflow-steps.js';
import { grantlineDeps } from '../../shared/deps.js';
import { taskHandler } from '../../shared/middleware/task.js';

export const handler = taskHandler(FailureTaskEvent, (e) => recordGrantFailure(grantlineDeps(), e.requestId, e.error.Error, e.error.Cause));
