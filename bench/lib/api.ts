import { HttpClient, type Json, type Response, userArn } from './http.js';
import { nowMs, sleep } from './time.js';

export const TERMINAL = new Set(['REVOKED', 'EXPIRED', 'DENIED', 'APPROVAL_EXPIRED', 'CANCELLED', 'GRANT_FAILED']);

export interface CreateBody {
  readonly entitlement: string;
  readonly duration: string;
  readonly justification: string;
  readonly ticket?: string;
}

export interface Observed {
  readonly request: Json;
  /** Epoch ms (sub-ms) at which the client received the answer showing the status. */
  readonly atMs: number;
  readonly polls: number;
}

export interface ClockSample {
  /** Best estimate of the wall-clock epoch ms at which the server read its (virtual) clock. */
  readonly realMs: number;
  readonly virtualMs: number;
  /** Round trip of the sample used; the estimate is good to half of it. */
  readonly rttMs: number;
}

export class ApiError extends Error {
  constructor(
    message: string,
    readonly response?: Response,
  ) {
    super(message);
  }
}

/** The Grantline HTTP API as the benchmarks use it. */
export class GrantlineApi {
  readonly http: HttpClient;

  constructor(url: string) {
    this.http = new HttpClient(url);
  }

  call(who: string | null, method: string, path: string, body?: unknown): Promise<Response> {
    return this.http.call(who, method, path, body);
  }

  /** POST /requests; any status but 201 throws. */
  async submit(who: string, body: CreateBody): Promise<{ request: Json; ms: number }> {
    const r = await this.call(who, 'POST', '/requests', body);
    if (r.status !== 201) throw new ApiError(`POST /requests → ${r.status} ${JSON.stringify(r.json).slice(0, 300)}`, r);
    return { request: r.json['request'] as Json, ms: r.ms };
  }

  async get(who: string, id: string): Promise<Json> {
    const r = await this.call(who, 'GET', `/requests/${id}`);
    if (r.status !== 200) throw new ApiError(`GET /requests/${id} → ${r.status} ${JSON.stringify(r.json).slice(0, 300)}`, r);
    return r.json['request'] as Json;
  }

  async action(who: string, id: string, verb: 'approve' | 'deny' | 'cancel' | 'revoke', body: Json = {}): Promise<{ request: Json; ms: number; atMs: number }> {
    const r = await this.call(who, 'POST', `/requests/${id}/${verb}`, body);
    const atMs = nowMs();
    if (r.status !== 200) throw new ApiError(`POST /requests/${id}/${verb} → ${r.status} ${JSON.stringify(r.json).slice(0, 300)}`, r);
    return { request: r.json['request'] as Json, ms: r.ms, atMs };
  }

  async audit(who: string, id: string): Promise<Json[]> {
    const r = await this.call(who, 'GET', `/requests/${id}/audit`);
    if (r.status !== 200) throw new ApiError(`GET /requests/${id}/audit → ${r.status}`, r);
    return r.json['items'] as Json[];
  }

  /**
   * Polls GET /requests/{id} every `pollMs` until the status is one of `statuses`. Bounded by
   * `timeoutMs`; a terminal status that is not wanted fails at once.
   */
  async waitFor(who: string, id: string, statuses: readonly string[], opts: { pollMs?: number; timeoutMs?: number } = {}): Promise<Observed> {
    const pollMs = opts.pollMs ?? 5;
    const until = nowMs() + (opts.timeoutMs ?? 60_000);
    for (let polls = 1; ; polls++) {
      const request = await this.get(who, id);
      const atMs = nowMs();
      const status = request['status'] as string;
      if (statuses.includes(status)) return { request, atMs, polls };
      if (TERMINAL.has(status)) throw new ApiError(`request ${id} ended ${status} (${JSON.stringify(request['failure'])}), expected ${statuses.join('|')}`);
      if (atMs > until) throw new ApiError(`request ${id} still ${status} after ${opts.timeoutMs ?? 60_000} ms, expected ${statuses.join('|')}`);
      await sleep(pollMs);
    }
  }

  /** Counts requests with `status` in the projection (admin view, paged by 100). */
  async countStatus(status: string, admin = 'carol', maxPages = 1000): Promise<number> {
    let count = 0;
    let token: string | undefined;
    for (let page = 0; page < maxPages; page++) {
      const q = `status=${status}&limit=100${token ? `&nextToken=${encodeURIComponent(token)}` : ''}`;
      const r = await this.call(admin, 'GET', `/requests?${q}`);
      if (r.status !== 200) throw new ApiError(`GET /requests?${q} → ${r.status}`, r);
      count += (r.json['items'] as Json[]).length;
      token = r.json['nextToken'] as string | undefined;
      if (!token) return count;
    }
    throw new ApiError(`more than ${maxPages} pages of ${status}`);
  }

  /** True when at least one request has `status` in the projection: one small query. */
  async anyWithStatus(status: string, admin = 'carol'): Promise<boolean> {
    const r = await this.call(admin, 'GET', `/requests?status=${status}&limit=1`);
    if (r.status !== 200) throw new ApiError(`GET /requests?status=${status} → ${r.status}`, r);
    return (r.json['items'] as Json[]).length > 0;
  }

  /**
   * Reads the server's (possibly scaled) clock through POST /local/iam/simulate, which answers with
   * the virtual time it evaluated at. The best of `samples` round trips anchors virtual to real time.
   */
  async clockSample(samples = 7): Promise<ClockSample> {
    let best: ClockSample | undefined;
    for (let i = 0; i < samples; i++) {
      const before = nowMs();
      const r = await this.call('carol', 'POST', '/local/iam/simulate', { principal: userArn('alice'), action: 'sts:GetCallerIdentity', resource: '*' });
      const after = nowMs();
      if (r.status !== 200) throw new ApiError(`POST /local/iam/simulate → ${r.status}`, r);
      const sample = { realMs: (before + after) / 2, virtualMs: Date.parse(r.json['at'] as string), rttMs: after - before };
      if (!best || sample.rttMs < best.rttMs) best = sample;
    }
    return best!;
  }

  async simulate(user: string, action: string, resource = '*'): Promise<string> {
    const r = await this.call('carol', 'POST', '/local/iam/simulate', { principal: userArn(user), action, resource });
    return r.json['decision'] as string;
  }

  async iamUser(name: string): Promise<Json> {
    const r = await this.call(null, 'GET', `/local/iam/users/${name}`);
    if (r.status !== 200) throw new ApiError(`GET /local/iam/users/${name} → ${r.status}`, r);
    return r.json;
  }

  close(): void {
    this.http.close();
  }
}

/** `at` (epoch ms, virtual) of the first audit record with `action`. */
export function auditAt(items: readonly Json[], action: string): number {
  const record = items.find((i) => i['action'] === action);
  return record ? Date.parse(record['at'] as string) : Number.NaN;
}

/** Maps virtual epoch ms to real epoch ms with a clock sample and the scale. */
export function virtualToReal(sample: ClockSample, scale: number, virtualMs: number): number {
  return sample.realMs + (virtualMs - sample.virtualMs) / scale;
}
