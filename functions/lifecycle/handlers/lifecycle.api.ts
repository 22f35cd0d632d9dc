import middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { grantlineDeps } from '../../shared/deps.js';
import { logger } from '../../shared/logger.js';
import { httpErrors, json, jsonBody, parseWith } from '../../shared/middleware/http.js';
import { dispatch, type Routes } from '../../shared/middleware/router.js';
import { KillSwitchBody, OffboardingBody } from '../schemas/api.js';
import { lifecycleSettings } from '../settings.js';
import { killSwitch, offboard } from '../use-cases/operations.js';

export const lifecycleRoutes: Routes = {
  'POST /offboarding': {
    handler: async (event, caller) => {
      const body = parseWith(OffboardingBody, jsonBody(event), 'body');
      return json(200, await offboard(grantlineDeps(), { caller, principal: body.principal, reason: body.reason }, lifecycleSettings().bulk));
    },
  },
  'POST /kill-switch': {
    handler: async (event, caller) => {
      const body = parseWith(KillSwitchBody, jsonBody(event), 'body');
      return json(200, await killSwitch(grantlineDeps(), { caller, reason: body.reason, confirm: body.confirm }, lifecycleSettings().bulk));
    },
  },
};

/**
 * API Gateway answers 504 after 29 s, but the invocation runs on to the end (the function's timeout
 * is 15 minutes): an offboarding of hundreds of grants under IAM throttling finishes and is fully in
 * the audit log. So no early timeout response here, which would cut the work short.
 */
export const handler = middy<APIGatewayProxyEvent, APIGatewayProxyResult>({ timeoutEarlyInMillis: 0 })
  .use(httpErrors(logger))
  .handler(dispatch(lifecycleRoutes));
