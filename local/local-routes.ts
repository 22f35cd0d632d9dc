import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { z } from 'zod';
import { GrantlineError, NotFoundError } from '../functions/access/domain/errors.js';
import { json, jsonBody, parseWith } from '../functions/shared/middleware/http.js';
import type { MemoryNotifier } from '../functions/access/adapters/sns.js';
import { CloudTrailEvent } from '../functions/monitoring/schemas/cloudtrail.js';
import type { ScaledClock } from './clock.js';
import type { BusEvent } from './event-bus.js';
import type { LocalMonitoring } from './monitoring.js';
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
  readonly monitoring: LocalMonitoring;
  readonly notifications: MemoryNotifier;
  readonly alerts: MemoryNotifier;
}

/** A custom event for the grantline bus, e.g. an HR system's "Grantline Offboard Principal". */
export const PutEventBody = z
  .object({
    source: z.string().min(1).max(256).refine((s) => !s.startsWith('aws.'), 'aws.* sources are reserved for AWS; use POST /local/cloudtrail for CloudTrail events'),
    'detail-type': z.string().min(1).max(128),
    detail: z.record(z.string(), z.unknown()),
  })
  .strict();

const EventsQuery = z
  .object({
    bus: z.enum(['grantline', 'default']).default('grantline'),
    detailType: z.string().min(1).max(128).optional(),
    limit: z.coerce.number().int().min(1).max(1000).default(100),
  })
  .strict();

const NoBody = z.union([z.null(), z.undefined(), z.object({}).strict()]);

const deliveries = (event: BusEvent, delivered: Awaited<ReturnType<LocalMonitoring['defaultBus']['deliver']>>) => ({
  eventId: event.id,
  deliveries: delivered.map((d) => ({ rule: d.rule, ok: d.ok, ...(d.ok ? { result: d.result } : { error: d.error }) })),
});

/** Windows into the simulated world; these routes do not exist in AWS. */
export function localRoutes({ account, clock, monitoring, notifications, alerts }: LocalRouteDeps): LocalRoute[] {
  return [
    {
      method: 'POST',
      resource: '/local/cloudtrail',
      // One CloudTrail event exactly as EventBridge delivers it, onto the default bus; answers once its rules' targets ran.
      handler: local(async (event) => {
        const body = parseWith(CloudTrailEvent, jsonBody(event), 'body') as unknown as BusEvent;
        return json(200, deliveries(body, await monitoring.defaultBus.deliver(body)));
      }),
    },
    {
      method: 'POST',
      resource: '/local/events',
      handler: local(async (event) => {
        const body = parseWith(PutEventBody, jsonBody(event), 'body');
        const bus = monitoring.grantlineBus;
        const put = bus.event(body.source, body['detail-type'], body.detail);
        return json(200, deliveries(put, await bus.deliver(put)));
      }),
    },
    {
      method: 'GET',
      resource: '/local/events',
      handler: local((event) => {
        const q = parseWith(EventsQuery, { ...(event.queryStringParameters ?? {}) }, 'query');
        const bus = q.bus === 'default' ? monitoring.defaultBus : monitoring.grantlineBus;
        const items = bus.events.filter((e) => !q.detailType || e['detail-type'] === q.detailType).slice(-q.limit).reverse();
        return json(200, { items });
      }),
    },
    {
      method: 'GET',
      resource: '/local/notifications',
      handler: local(() => json(200, { approvals: notifications.messages.slice(-200).reverse(), alerts: alerts.messages.slice(-200).reverse() })),
    },
    {
      method: 'POST',
      resource: '/local/sweep',
      handler: local(async (event) => {
        parseWith(NoBody, event.body ? jsonBody(event) : undefined, 'body');
        return json(200, { sweep: await monitoring.sweep() });
      }),
    },
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
