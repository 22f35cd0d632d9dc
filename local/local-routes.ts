import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { z } from 'zod';
import { GrantlineError, NotFoundError } from '../functions/access/domain/errors.js';
import { json, jsonBody, parseWith } from '../functions/shared/middleware/http.js';
import type { ScaledClock } from './clock.js';
import type { LocalRoute } from './http-server.js';
import { simulateAccess, type SimulatedIamAccount } from './iam/index.js';

export const SimulateBody = z
  .object({
    principal: z.string().regex(/^arn:aws:iam::\d{12}:(user|role)\/[\w+=,.@\/-]+$/, 'must be an IAM user or role ARN'),
    action: z.string().regex(/^[a-zA-Z0-9-]+:[a-zA-Z0-9*?]+$/, 'must look like s3:GetObject'),
    resource: z.string().min(1).max(2048).default('*'),
  })
  .strict();

const UserParams = z.object({ name: z.string().regex(/^[\w+=,.@-]{1,64}$/, 'must be an IAM user name') }).strict();

/** Local routes answer like the API: JSON errors, no stack traces. */
function local(run: (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult> | APIGatewayProxyResult) {
  return async (event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> => {
    try {
      return await run(event);
    } catch (err) {
      if (err instanceof GrantlineError && err.status < 500) {
        return json(err.status, { error: { code: err.code, message: err.message, ...(err.field ? { field: err.field } : {}) } });
      }
      return json(500, { error: { code: 'InternalError', message: 'Something went wrong on our side' } });
    }
  };
}

export interface LocalRouteDeps {
  readonly account: SimulatedIamAccount;
  readonly clock: ScaledClock;
}

/** Windows into the simulated world; these routes do not exist in AWS. */
export function localRoutes({ account, clock }: LocalRouteDeps): LocalRoute[] {
  return [
    {
      method: 'GET',
      resource: '/local/iam/users/{name}',
      handler: local((event) => {
        const { name } = parseWith(UserParams, event.pathParameters, 'path');
        const view = account.userView(name);
        if (!view) throw new NotFoundError(`No IAM user ${name} in the simulated account`);
        return json(200, view);
      }),
    },
    {
      method: 'POST',
      resource: '/local/iam/simulate',
      handler: local(async (event) => {
        const body = parseWith(SimulateBody, jsonBody(event), 'body');
        const at = clock.now();
        const decision = await simulateAccess(account, { principal: body.principal, action: body.action, resource: body.resource, at });
        return json(200, { decision, principal: body.principal, action: body.action, resource: body.resource, at: at.toISOString() });
      }),
    },
  ];
}
