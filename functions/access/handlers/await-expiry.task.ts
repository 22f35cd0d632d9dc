import { CallbackTaskEvent } from '../schemas/tasks.js';
import { awaitExpiry } from '../use-cases/workflow-steps.js';
import { grantlineDeps } from '../../shared/deps.js';
import { taskHandler } from '../../shared/middleware/task.js';

export const handler = taskHandler(CallbackTaskEvent, (e) => awaitExpiry(grantlineDeps(), e.requestId, e.taskToken));
