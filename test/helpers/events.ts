import { readFileSync } from 'node:fs';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';

/** A fixture from test/fixtures/events, parsed fresh each time so tests cannot leak changes. */
export function fixture<T = Record<string, unknown>>(name: string): T {
  return JSON.parse(readFileSync(new URL(`../fixtures/events/${name}`, import.meta.url), 'utf8')) as T;
}

export interface ApiEventOptions {
  /** "POST /requests/{id}/approve": method and API Gateway resource template. */
  readonly route: string;
  readonly pathParameters?: Record<string, string>;
  readonly query?: Record<string, string>;
  /** An object is sent as JSON; a string is sent as is; omit for no body. */
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
  /** The SigV4 principal; null for a request without identity. Default: alice. */
  readonly callerArn?: string | null;
}

/** The REST API proxy fixture, re-aimed at one route. */
export function apiEvent(options: ApiEventOptions): APIGatewayProxyEvent {
  const event = fixture<APIGatewayProxyEvent>('api-gateway-request.json');
  const [method, resource] = options.route.split(' ') as [string, string];
  const path = resource.replace(/\{(\w+)\}/g, (_, key: string) => options.pathParameters?.[key] ?? key);
  const body = options.body === undefined ? null : typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
  return {
    ...event,
    httpMethod: method,
    resource,
    path,
    pathParameters: options.pathParameters ?? null,
    queryStringParameters: options.query ?? null,
    headers: { ...event.headers, ...options.headers },
    body,
    requestContext: {
      ...event.requestContext,
      httpMethod: method,
      resourcePath: resource,
      identity: {
        ...event.requestContext.identity,
        userArn: options.callerArn === undefined ? event.requestContext.identity.userArn : options.callerArn,
      },
    },
  };
}

export function lambdaContext(functionName = 'grantline-test'): Context {
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:eu-central-1:000000000000:function:${functionName}`,
    memoryLimitInMB: '256',
    awsRequestId: 'c6af9ac6-7b61-11e6-9a41-93e8deadbeef',
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: '2030/01/15/[$LATEST]abcdef',
    getRemainingTimeInMillis: () => 30_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

export interface ApiResponse<T = Record<string, unknown>> {
  readonly statusCode: number;
  readonly headers: Record<string, unknown>;
  readonly body: T;
  readonly raw: string;
}

export function parseResponse<T = Record<string, unknown>>(result: APIGatewayProxyResult): ApiResponse<T> {
  return { statusCode: result.statusCode, headers: (result.headers ?? {}) as Record<string, unknown>, body: JSON.parse(result.body) as T, raw: result.body };
}
