import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { callerFromArn } from '../../access/domain/identity.js';
import { NotFoundError } from '../../access/domain/errors.js';
import type { Caller } from '../../access/domain/types.js';

export type RouteHandler = (event: APIGatewayProxyEvent, caller: Caller) => Promise<APIGatewayProxyResult>;

export interface Route {
  readonly handler: RouteHandler;
  /** /health answers without an identity (API Gateway still requires SigV4 in AWS). */
  readonly anonymous?: boolean;
}

/** Routes are keyed by "METHOD /resource/{template}", as API Gateway names them in the event. */
export type Routes = Record<string, Route>;

export function routeKey(event: Pick<APIGatewayProxyEvent, 'httpMethod' | 'resource'>): string {
  return `${event.httpMethod.toUpperCase()} ${event.resource}`;
}

/** The SigV4 principal API Gateway verified (the local server fills the same field). */
export function callerOf(event: APIGatewayProxyEvent): Caller {
  return callerFromArn(event.requestContext?.identity?.userArn);
}

export function dispatch(routes: Routes) {
  return async (event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> => {
    const route = routes[routeKey(event)];
    if (!route) throw new NotFoundError(`No route ${event.httpMethod} ${event.path}`);
    const caller = route.anonymous ? ({ arn: 'anonymous', principalArn: 'anonymous', accountId: '' } as Caller) : callerOf(event);
    return route.handler(event, caller);
  };
}
