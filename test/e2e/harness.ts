import { startGrantline, type LocalGrantline, type LocalOptions } from '../../local/runtime.js';

export const ACCOUNT = '000000000000';
export const arn = (user: string) => `arn:aws:iam::${ACCOUNT}:user/${user}`;

export type Json = Record<string, any>;

export interface Harness {
  readonly local: LocalGrantline;
  call(who: string | null, method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<{ status: number; json: Json }>;
  request(who: string, body: Json): Promise<Json>;
  waitFor(id: string, statuses: string[], timeoutMs?: number): Promise<Json>;
  can(user: string, action: string, resource?: string): Promise<string>;
  /** Whether an alert about `requestId` of `type` was sent within `timeoutMs` (alerts follow the commit they are about). */
  alerted(requestId: string, type: string, timeoutMs?: number): Promise<boolean>;
}

/** Local mode in this process on a random port, driven over real HTTP. */
export async function startHarness(options: LocalOptions = {}): Promise<Harness> {
  const local = await startGrantline({ port: 0, ...options });
  const call: Harness['call'] = async (who, method, path, body, headers = {}) => {
    const res = await fetch(`${local.url}${path}`, {
      method,
      headers: {
        ...(who ? { 'x-grantline-caller': who.startsWith('arn:') ? who : arn(who) } : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...headers,
      },
      ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    return { status: res.status, json: text ? (JSON.parse(text) as Json) : {} };
  };
  return {
    local,
    call,
    request: async (who, body) => {
      const r = await call(who, 'POST', '/requests', body);
      if (r.status !== 201) throw new Error(`POST /requests → ${r.status} ${JSON.stringify(r.json)}`);
      return r.json['request'] as Json;
    },
    waitFor: async (id, statuses, timeoutMs = 15_000) => {
      const until = Date.now() + timeoutMs;
      for (;;) {
        const r = await call('carol', 'GET', `/requests/${id}`);
        const status = r.json['request']?.status as string | undefined;
        if (status && statuses.includes(status)) return r.json['request'] as Json;
        if (Date.now() > until) throw new Error(`request ${id} is ${status}, expected ${statuses.join('|')}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
    alerted: async (requestId, type, timeoutMs = 2_000) => {
      const sent = () => local.alerts.messages.some((m) => m.message['requestId'] === requestId && m.message['type'] === type);
      for (const until = Date.now() + timeoutMs; !sent() && Date.now() < until; ) await new Promise((resolve) => setTimeout(resolve, 20));
      return sent();
    },
    can: async (user, action, resource = '*') => {
      const r = await call('carol', 'POST', '/local/iam/simulate', { principal: arn(user), action, resource });
      return r.json['decision'] as string;
    },
  };
}
