import http from 'node:http';
import { nowMs } from './time.js';

export const ACCOUNT = '000000000000';
export const CALLER_HEADER = 'x-grantline-caller';
export const userArn = (name: string): string => `arn:aws:iam::${ACCOUNT}:user/${name}`;

export type Json = Record<string, any>;

export interface Response {
  readonly status: number;
  readonly json: Json;
  /** Client-observed round trip, milliseconds. */
  readonly ms: number;
}

const REQUEST_TIMEOUT_MS = 30_000;

/**
 * A small keep-alive HTTP client for 127.0.0.1 only. node:http rather than fetch: less client CPU
 * on a 2-core machine shared with the server, and explicit timeouts.
 */
export class HttpClient {
  readonly base: URL;
  readonly agent: http.Agent;
  /** Requests resent once because a kept-alive socket was closed under them. */
  retries = 0;
  sent = 0;

  constructor(url: string, maxSockets = 256) {
    this.base = new URL(url);
    if (this.base.hostname !== '127.0.0.1' && this.base.hostname !== 'localhost') {
      throw new Error(`bench talks to loopback only, not ${this.base.hostname}`);
    }
    this.agent = new http.Agent({ keepAlive: true, maxSockets, keepAliveMsecs: 500 });
  }

  async call(who: string | null, method: string, path: string, body?: unknown): Promise<Response> {
    const started = nowMs();
    try {
      return await this.#once(who, method, path, body, started);
    } catch (err) {
      // The server closes idle keep-alive sockets after 1 s; a request racing that close never reached a handler.
      if ((err as { reused?: boolean }).reused && (err as NodeJS.ErrnoException).code === 'ECONNRESET') {
        this.retries++;
        return this.#once(who, method, path, body, started);
      }
      throw err;
    }
  }

  #once(who: string | null, method: string, path: string, body: unknown, started: number): Promise<Response> {
    this.sent++;
    const payload = body === undefined ? undefined : JSON.stringify(body);
    return new Promise<Response>((resolve, reject) => {
      const req = http.request(
        {
          host: this.base.hostname,
          port: this.base.port,
          method,
          path,
          agent: this.agent,
          timeout: REQUEST_TIMEOUT_MS,
          headers: {
            ...(who ? { [CALLER_HEADER]: who.startsWith('arn:') ? who : userArn(who) } : {}),
            ...(payload !== undefined ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {}),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', reject);
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let json: Json = {};
            try {
              json = text ? (JSON.parse(text) as Json) : {};
            } catch {
              json = { raw: text };
            }
            resolve({ status: res.statusCode ?? 0, json, ms: nowMs() - started });
          });
        },
      );
      req.on('timeout', () => req.destroy(new Error(`${method} ${path} timed out after ${REQUEST_TIMEOUT_MS} ms`)));
      req.on('error', (err) => reject(Object.assign(err, { reused: req.reusedSocket })));
      req.end(payload);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}
