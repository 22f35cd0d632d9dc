import { Template } from 'aws-cdk-lib/assertions';
import { Code, Function as LambdaFunction, Runtime } from 'aws-cdk-lib/aws-lambda';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Stack } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { accessRoutes } from '../../functions/access/handlers/api.js';
import { lifecycleRoutes } from '../../functions/lifecycle/handlers/lifecycle.api.js';
import { monitoringRoutes } from '../../functions/monitoring/handlers/monitoring.api.js';
import { API_ROUTES } from '../../infra/api-routes.js';
import { type ApiRoute, GrantlineApi, routeKey } from '../../infra/constructs/api.js';
import { bareStack } from './helpers.js';

const stub = (stack: Stack, id: string) =>
  new LambdaFunction(stack, id, { runtime: Runtime.NODEJS_22_X, handler: 'index.handler', code: Code.fromInline('exports.handler = async () => ({})') });

/** Each API function and the routes its handler serves. */
const HANDLER_ROUTES: Record<string, object> = { access: accessRoutes, monitoring: monitoringRoutes, lifecycle: lifecycleRoutes };

function api(routes: readonly ApiRoute[] = API_ROUTES) {
  const stack = bareStack();
  const targets = Object.fromEntries(Object.keys(HANDLER_ROUTES).map((t) => [t, stub(stack, t)]));
  new GrantlineApi(stack, 'Api', { routes, targets, logRetention: RetentionDays.ONE_WEEK });
  return Template.fromStack(stack);
}

/** "GET /requests/{id}" for every method in the template, rebuilt from the resource tree. */
function methodKeys(template: Template): string[] {
  const resources = template.findResources('AWS::ApiGateway::Resource');
  const pathOf = (ref: unknown): string => {
    const id = (ref as { Ref?: string }).Ref;
    if (!id || !(id in resources)) return '';
    const props = resources[id]!['Properties'];
    return `${pathOf(props.ParentId)}/${props.PathPart}`;
  };
  return Object.values(template.findResources('AWS::ApiGateway::Method')).map((m) => `${m['Properties'].HttpMethod} ${pathOf(m['Properties'].ResourceId) || '/'}`);
}

describe('GrantlineApi', () => {
  it("serves exactly the routes of each API function's handler", () => {
    for (const [target, routes] of Object.entries(HANDLER_ROUTES)) {
      expect(API_ROUTES.filter((r) => r.target === target).map(routeKey).sort()).toEqual(Object.keys(routes).sort());
    }
    expect(new Set(API_ROUTES.map((r) => r.target))).toEqual(new Set(Object.keys(HANDLER_ROUTES)));
    expect(methodKeys(api()).sort()).toEqual(API_ROUTES.map(routeKey).sort());
  });

  it('requires SigV4 (AWS_IAM) on every method, /health included', () => {
    const methods = Object.values(api().findResources('AWS::ApiGateway::Method'));
    expect(methods).toHaveLength(API_ROUTES.length);
    for (const method of methods) expect(method['Properties'].AuthorizationType).toBe('AWS_IAM');
  });

  it('proxies every route to its Lambda function with one invoke permission per function', () => {
    const template = api();
    for (const method of Object.values(template.findResources('AWS::ApiGateway::Method'))) {
      expect(method['Properties'].Integration.Type).toBe('AWS_PROXY');
    }
    template.resourceCountIs('AWS::Lambda::Permission', Object.keys(HANDLER_ROUTES).length);
  });

  it('writes access logs, throttles the stage and leaves request validation to the handler', () => {
    const template = api();
    template.hasResourceProperties('AWS::ApiGateway::Stage', {
      StageName: 'v1',
      TracingEnabled: true,
      AccessLogSetting: { DestinationArn: {} },
      MethodSettings: [{ ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 }],
    });
    template.resourceCountIs('AWS::ApiGateway::RequestValidator', 0);
    template.resourceCountIs('AWS::ApiGateway::Account', 0);
  });

  it('adds a route by adding an entry, to another function if need be', () => {
    const stack = bareStack();
    const routes: ApiRoute[] = [{ method: 'GET', path: '/health', target: 'access' }, { method: 'POST', path: '/break-glass', target: 'admin' }];
    new GrantlineApi(stack, 'Api', { routes, targets: { access: stub(stack, 'Access'), admin: stub(stack, 'Admin') }, logRetention: RetentionDays.ONE_WEEK });
    const template = Template.fromStack(stack);
    expect(methodKeys(template)).toContain('POST /break-glass');
    template.resourceCountIs('AWS::Lambda::Permission', 2);
  });

  it('refuses a duplicate route and a route to an unknown function', () => {
    expect(() => api([...API_ROUTES, API_ROUTES[0]!])).toThrow(/listed twice/);
    expect(() => api([{ method: 'GET', path: '/x', target: 'nobody' }])).toThrow(/not a known function/);
  });
});
