import { RequestTaskEvent } from '../schemas/tasks.js';
import { revokeAccess } from '../use-cases/workflow-steps.js';
import { grantlineDeps } from '../../shared/deps.js';
import { taskHandler } from '../../shared/middleware/task.js';

export const handler = taskHandler(RequestTaskEvent, (e) => revokeAccess(grantlineDeps(), e.requestId));
