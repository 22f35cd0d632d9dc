import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { MAX_BODY_BYTES } from '../functions/shared/middleware/http.js';

export type EventHandler = (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult>;

export interface LocalRoute {
  readonly method: string;
  /** API Gateway resource template, e.g. /requests/{id}/approve. */
  readonly resource: string;
  readonly handler: EventHandler;
}

/** The header that stands in for the SigV4 principal locally, and only on loopback. */
export const CALLER_HEADER = 'x-grantline-caller';

/** Bodies beyond this are not even read: the handler's own 413 check sees a truncated marker. */
const HARD_BODY_LIMIT = MAX_BODY_BYTES + 1;

function compile(resource: string): { regex: RegExp; names: string[] } {
  const names: string[] = [];
  const pattern = resource
    .split('/')
    .map((part) => {
      const m = /^\{(\w+)\}$/.exec(part);
      if (!m) return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      names.push(m[1]!);
      return '([^/]+)';
    })
    .join('/');
  return { regex: new RegExp(`^${pattern}/?$`), names };
}

function send(res: ServerResponse, result: APIGatewayProxyResult): void {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(result.headers ?? {})) headers[k] = String(v);
  res.writeHead(result.statusCode, headers);
  res.end(result.body);
}

const error = (statusCode: number, code: string, message: string): APIGatewayProxyResult => ({
  statusCode,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ error: { code, message } }),
});

/** Reads at most HARD_BODY_LIMIT bytes; `tooLarge` says the client sent more. */
async function readBody(req: IncomingMessage): Promise<{ body: string; tooLarge: boolean }> {
  const chunks: Buffer[] = [];
  let size = 0;
  let tooLarge = false;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > HARD_BODY_LIMIT) {
      tooLarge = true;
      continue; // drain without keeping it
    }
    chunks.push(chunk);
  }
  return { body: Buffer.concat(chunks).toString('utf8'), tooLarge };
}

function isLoopback(address: string | undefined): boolean {
  return address === '127.0.0.1' || address === '::1' || address === '::ffff:127.0.0.1' || (address?.startsWith('127.') ?? false);
}

/**
 * Turns each HTTP request into the API Gateway (REST, Lambda proxy) event the handler receives in
 * AWS, with the caller header in `requestContext.identity.userArn` where SigV4 would put it.
 */
export function toApiGatewayEvent(req: IncomingMessage, url: URL, route: LocalRoute, pathParameters: Record<string, string> | null, body: string): APIGatewayProxyEvent {
  const headers: Record<string, string> = {};
  const multiValueHeaders: Record<string, string[]> = {};
  for (const [k, v] of Object.entries(req.headers)) {
    if (v === undefined) continue;
    const values = Array.isArray(v) ? v : [v];
    headers[k] = values.join(',');
    multiValueHeaders[k] = values;
  }
  const query: Record<string, string> = {};
  const multiQuery: Record<string, string[]> = {};
  for (const [k, v] of url.searchParams) {
    query[k] = v;
    (multiQuery[k] ??= []).push(v);
  }
  const caller = headers[CALLER_HEADER];
  const requestId = randomUUID();
  return {
    resource: route.resource,
    path: url.pathname,
    httpMethod: route.method,
    headers,
    multiValueHeaders,
    queryStringParameters: Object.keys(query).length ? query : null,
    multiValueQueryStringParameters: Object.keys(multiQuery).length ? multiQuery : null,
    pathParameters,
    stageVariables: null,
    body: body === '' ? null : body,
    isBase64Encoded: false,
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      authorizer: null,
      protocol: 'HTTP/1.1',
      httpMethod: route.method,
      path: url.pathname,
      stage: 'local',
      requestId,
      requestTimeEpoch: Date.now(),
      resourceId: 'local',
      resourcePath: route.resource,
      identity: {
        accessKey: null,
        accountId: null,
        apiKey: null,
        apiKeyId: null,
        caller: caller ?? null,
        clientCert: null,
        cognitoAuthenticationProvider: null,
        cognitoAuthenticationType: null,
        cognitoIdentityId: null,
        cognitoIdentityPoolId: null,
        principalOrgId: null,
        sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
        user: caller ?? null,
        userAgent: headers['user-agent'] ?? null,
        userArn: caller ?? null,
      },
    },
  };
}

export interface LocalHttpServer {
  readonly server: Server;
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

export async function startHttpServer(routes: readonly LocalRoute[], port: number): Promise<LocalHttpServer> {
  // Like API Gateway, a literal path segment wins over a {param} one: /reviews/latest before /reviews/{id}.
  const compiled = routes.map((route) => ({ route, ...compile(route.resource) })).sort((a, b) => a.names.length - b.names.length);
  const server = createServer((req, res) => {
    void (async () => {
      try {
        if (!isLoopback(req.socket.remoteAddress)) {
          send(res, error(403, 'Forbidden', 'Local mode answers loopback clients only'));
          return;
        }
        const url = new URL(req.url ?? '/', 'http://127.0.0.1');
        const method = (req.method ?? 'GET').toUpperCase();
        const matches = compiled.map((c) => ({ c, m: c.regex.exec(url.pathname) })).filter((x) => x.m !== null);
        const hit = matches.find((x) => x.c.route.method === method);
        const { body, tooLarge } = await readBody(req);
        if (!hit) {
          send(res, matches.length ? error(405, 'MethodNotAllowed', `${method} is not allowed on ${url.pathname}`) : error(404, 'NotFound', `No route ${method} ${url.pathname}`));
          return;
        }
        let pathParameters: Record<string, string> | null = null;
        if (hit.c.names.length) {
          pathParameters = {};
          hit.c.names.forEach((name, i) => (pathParameters![name] = decodeURIComponent(hit.m![i + 1]!)));
        }
        // An oversized body is cut at the limit plus one byte, which the handler answers with 413.
        const event = toApiGatewayEvent(req, url, hit.c.route, pathParameters, tooLarge ? body.padEnd(HARD_BODY_LIMIT, ' ') : body);
        send(res, await hit.c.route.handler(event));
      } catch {
        if (!res.headersSent) send(res, error(500, 'InternalError', 'Something went wrong on our side'));
        else res.end();
      }
    })();
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const actual = (server.address() as AddressInfo).port;
  return {
    server,
    url: `http://127.0.0.1:${actual}`,
    port: actual,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
