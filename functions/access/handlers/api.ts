import middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import {
  ApproveBody,
  CancelBody,
  CreateRequestBody,
  DenyBody,
  ListRequestsQuery,
  NoQuery,
  RequestIdParams,
  RevokeBody,
} from '../schemas/api.js';
import {
  approveRequest,
  cancelRequest,
  denyRequest,
  listEntitlements,
  listRequests,
  readAudit,
  readRequest,
  revokeRequest,
  submitRequest,
} from '../use-cases/requests.js';
import { grantlineDeps } from '../../shared/deps.js';
import { logger } from '../../shared/logger.js';
import { httpErrors, json, jsonBody, parseWith } from '../../shared/middleware/http.js';
import { dispatch, type Routes } from '../../shared/middleware/router.js';

const idOf = (event: APIGatewayProxyEvent) => parseWith(RequestIdParams, event.pathParameters, 'path').id;
const query = (event: APIGatewayProxyEvent) => ({ ...(event.queryStringParameters ?? {}) });

export const accessRoutes: Routes = {
  'GET /health': {
    anonymous: true,
    handler: async () => json(200, { status: 'ok', catalogVersion: grantlineDeps().catalog().version }),
  },
  'GET /entitlements': {
    handler: async (event, caller) => {
      parseWith(NoQuery, query(event), 'query');
      return json(200, listEntitlements(grantlineDeps(), caller));
    },
  },
  'POST /requests': {
    handler: async (event, caller) => {
      const body = parseWith(CreateRequestBody, jsonBody(event), 'body');
      return json(201, { request: await submitRequest(grantlineDeps(), caller, body) });
    },
  },
  'GET /requests': {
    handler: async (event, caller) => {
      const q = parseWith(ListRequestsQuery, query(event), 'query');
      const filter = q.status ? { status: q.status } : q.pendingMyApproval === 'true' ? ({ pendingMyApproval: true } as const) : ({ mine: true } as const);
      const page = await listRequests(grantlineDeps(), caller, filter, { limit: q.limit, nextToken: q.nextToken });
      return json(200, page);
    },
  },
  'GET /requests/{id}': {
    handler: async (event, caller) => json(200, { request: await readRequest(grantlineDeps(), caller, idOf(event)) }),
  },
  'POST /requests/{id}/approve': {
    handler: async (event, caller) => {
      const id = idOf(event);
      const body = parseWith(ApproveBody, jsonBody(event), 'body');
      return json(200, { request: await approveRequest(grantlineDeps(), caller, id, body.comment) });
    },
  },
  'POST /requests/{id}/deny': {
    handler: async (event, caller) => {
      const id = idOf(event);
      const body = parseWith(DenyBody, jsonBody(event), 'body');
      return json(200, { request: await denyRequest(grantlineDeps(), caller, id, body.reason) });
    },
  },
  'POST /requests/{id}/cancel': {
    handler: async (event, caller) => {
      const id = idOf(event);
      const body = parseWith(CancelBody, jsonBody(event), 'body');
      return json(200, { request: await cancelRequest(grantlineDeps(), caller, id, body.reason) });
    },
  },
  'POST /requests/{id}/revoke': {
    handler: async (event, caller) => {
      const id = idOf(event);
      const body = parseWith(RevokeBody, jsonBody(event), 'body');
      return json(200, { request: await revokeRequest(grantlineDeps(), caller, id, body.reason) });
    },
  },
  'GET /requests/{id}/audit': {
    handler: async (event, caller) => json(200, await readAudit(grantlineDeps(), caller, idOf(event))),
  },
};

export const handler = middy<APIGatewayProxyEvent, APIGatewayProxyResult>()
  .use(httpErrors(logger))
  .handler(dispatch(accessRoutes));
