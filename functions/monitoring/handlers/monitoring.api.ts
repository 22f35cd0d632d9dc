import middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { grantlineDeps } from '../../shared/deps.js';
import { logger } from '../../shared/logger.js';
import { httpErrors, json, jsonBody, parseWith } from '../../shared/middleware/http.js';
import { dispatch, type Routes } from '../../shared/middleware/router.js';
import { NoQuery } from '../../access/schemas/api.js';
import { AnomaliesQuery, ReviewIdParams, StartReviewBody } from '../schemas/api.js';
import { monitoringDeps, reviewEnv } from '../settings.js';
import { listAnomalies } from '../use-cases/anomalies.js';
import { latestReview, readReview, requireReviewer, runReview } from '../use-cases/review.js';

const query = (event: APIGatewayProxyEvent) => ({ ...(event.queryStringParameters ?? {}) });

export const monitoringRoutes: Routes = {
  'GET /anomalies': {
    handler: async (event, caller) => {
      const q = parseWith(AnomaliesQuery, query(event), 'query');
      return json(200, await listAnomalies(grantlineDeps(), caller, q.since, { limit: q.limit, nextToken: q.nextToken }));
    },
  },
  'GET /reviews/latest': {
    handler: async (event, caller) => {
      parseWith(NoQuery, query(event), 'query');
      return json(200, await latestReview(grantlineDeps(), caller));
    },
  },
  'GET /reviews/{id}': {
    handler: async (event, caller) => {
      const { id } = parseWith(ReviewIdParams, event.pathParameters, 'path');
      return json(200, await readReview(grantlineDeps(), caller, id));
    },
  },
  'POST /reviews': {
    // Synchronous: fine for accounts the review reads within API Gateway's 29 s (tens of thousands of principals).
    handler: async (event, caller) => {
      const deps = monitoringDeps();
      requireReviewer(deps, caller);
      const body = parseWith(StartReviewBody, jsonBody(event), 'body');
      const { review, published } = await runReview(deps, { actor: caller.arn, remediate: body.remediate }, reviewEnv());
      return json(201, { review, published });
    },
  },
};

export const handler = middy<APIGatewayProxyEvent, APIGatewayProxyResult>()
  .use(httpErrors(logger))
  .handler(dispatch(monitoringRoutes));
