import { RemovalPolicy } from 'aws-cdk-lib';
import {
  AccessLogFormat,
  AuthorizationType,
  EndpointType,
  LambdaIntegration,
  LogGroupLogDestination,
  MethodLoggingLevel,
  RestApi,
} from 'aws-cdk-lib/aws-apigateway';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** One API route: method and path as the handler's router names them, and which function serves it. */
export interface ApiRoute {
  readonly method: HttpMethod;
  /** Starts with `/`; path parameters as `{name}`. */
  readonly path: string;
  /** Key into `GrantlineApiProps.targets`. */
  readonly target: string;
}

export interface GrantlineApiProps {
  readonly routes: readonly ApiRoute[];
  /** The functions routes point at, by key. */
  readonly targets: Readonly<Record<string, IFunction>>;
  readonly logRetention: RetentionDays;
  /** Requests per second across the stage. @default 50 */
  readonly rateLimit?: number;
  /** @default 100 */
  readonly burstLimit?: number;
}

/** `GET /requests/{id}`: the key the handler's router uses for a route. */
export function routeKey(route: Pick<ApiRoute, 'method' | 'path'>): string {
  return `${route.method} ${route.path}`;
}

/**
 * A REST API where every method requires SigV4 (AWS_IAM): the caller's IAM principal is the identity
 * Grantline decides on, so there is no anonymous route, not even /health. Each route is a Lambda
 * proxy integration; the handler validates requests itself (zod), so API Gateway does not.
 */
export class GrantlineApi extends Construct {
  readonly api: RestApi;
  readonly accessLogs: LogGroup;

  constructor(scope: Construct, id: string, props: GrantlineApiProps) {
    super(scope, id);
    checkRoutes(props.routes, props.targets);

    this.accessLogs = new LogGroup(this, 'AccessLogs', { retention: props.logRetention, removalPolicy: RemovalPolicy.RETAIN });
    this.api = new RestApi(this, 'Api', {
      description: 'Grantline: just-in-time, time-limited IAM access',
      endpointTypes: [EndpointType.REGIONAL],
      // Execution logging needs the account-wide API Gateway CloudWatch role, a singleton this stack
      // should not take over; the access log records every call.
      cloudWatchRole: false,
      defaultMethodOptions: { authorizationType: AuthorizationType.IAM },
      deployOptions: {
        stageName: 'v1',
        accessLogDestination: new LogGroupLogDestination(this.accessLogs),
        accessLogFormat: AccessLogFormat.jsonWithStandardFields({
          caller: true,
          httpMethod: true,
          ip: true,
          protocol: true,
          requestTime: true,
          resourcePath: true,
          responseLength: true,
          status: true,
          user: true,
        }),
        loggingLevel: MethodLoggingLevel.OFF,
        tracingEnabled: true,
        metricsEnabled: true,
        throttlingRateLimit: props.rateLimit ?? 50,
        throttlingBurstLimit: props.burstLimit ?? 100,
      },
    });
    // RestApi always adds an `Endpoint` output; the stack exports the URL under its own name.
    this.api.node.tryRemoveChild('Endpoint');

    // One integration per function, with one invoke permission for the whole API instead of one per
    // method, so the function's resource policy stays small as routes are added.
    const integrations = new Map<string, LambdaIntegration>();
    const integrationFor = (target: string) => {
      let integration = integrations.get(target);
      if (!integration) {
        integration = new LambdaIntegration(props.targets[target]!, { proxy: true, scopePermissionToMethod: false });
        integrations.set(target, integration);
      }
      return integration;
    };
    for (const route of props.routes) {
      const resource = route.path === '/' ? this.api.root : this.api.root.resourceForPath(route.path);
      resource.addMethod(route.method, integrationFor(route.target), { authorizationType: AuthorizationType.IAM });
    }
  }

  get url(): string {
    return this.api.url;
  }
}

function checkRoutes(routes: readonly ApiRoute[], targets: Readonly<Record<string, IFunction>>): void {
  const seen = new Set<string>();
  for (const route of routes) {
    const key = routeKey(route);
    if (!route.path.startsWith('/')) throw new Error(`Route ${key}: the path must start with /`);
    if (seen.has(key)) throw new Error(`Route ${key} is listed twice`);
    if (!(route.target in targets)) throw new Error(`Route ${key} points at ${JSON.stringify(route.target)}, which is not a known function`);
    seen.add(key);
  }
}
