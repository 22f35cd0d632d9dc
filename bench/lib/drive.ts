import { auditAt, type CreateBody, type GrantlineApi } from './api.js';
import type { ServerHandle } from './server.js';
import { nowMs, pool, sleep } from './time.js';

export const READONLY_30M: CreateBody = { entitlement: 'prod-readonly', duration: 'PT30M', justification: 'bench: request to ACTIVE' };

export interface ActiveSample {
  readonly id: string;
  /** POST /requests round trip. */
  readonly postMs: number;
  /** From sending POST to the first GET that showed ACTIVE. */
  readonly clientMs: number;
  readonly polls: number;
}

/** POST, then poll every `pollMs` until ACTIVE. */
export async function requestToActive(api: GrantlineApi, who: string, body: CreateBody, pollMs = 5, timeoutMs = 60_000): Promise<ActiveSample> {
  const t0 = nowMs();
  const { request, ms } = await api.submit(who, body);
  const seen = await api.waitFor(who, request['id'] as string, ['ACTIVE'], { pollMs, timeoutMs });
  return { id: request['id'] as string, postMs: ms, clientMs: seen.atMs - t0, polls: seen.polls };
}

/** Audit-recorded milliseconds between two actions of each request (virtual ms / scale = real ms). */
export async function auditSpans(api: GrantlineApi, who: string, ids: readonly string[], from: string, to: string, scale = 1, concurrency = 8): Promise<number[]> {
  return pool(ids.length, concurrency, async (i) => {
    const items = await api.audit(who, ids[i]!);
    return (auditAt(items, to) - auditAt(items, from)) / scale;
  });
}

export interface LoadResult {
  readonly created: string[];
  readonly statusCounts: Map<string, number>;
  readonly errors: string[];
  readonly postMs: number[];
  readonly elapsedMs: number;
  readonly startedAtMs: number;
  readonly lastCreatedAtMs: number;
}

/**
 * Closed loop: `clients` lanes each POST /requests back to back, until `durationMs` has passed or
 * `maxRequests` were sent. Nothing else is sent during the load.
 */
export async function closedLoopSubmit(
  api: GrantlineApi,
  opts: { who: string; body: CreateBody; clients: number; durationMs: number; maxRequests: number },
): Promise<LoadResult> {
  const created: string[] = [];
  const statusCounts = new Map<string, number>();
  const errors: string[] = [];
  const postMs: number[] = [];
  const startedAtMs = nowMs();
  const deadline = startedAtMs + opts.durationMs;
  let sent = 0;
  let lastCreatedAtMs = startedAtMs;
  await Promise.all(
    Array.from({ length: opts.clients }, async () => {
      while (nowMs() < deadline && sent < opts.maxRequests) {
        sent++;
        try {
          const r = await api.call(opts.who, 'POST', '/requests', opts.body);
          statusCounts.set(String(r.status), (statusCounts.get(String(r.status)) ?? 0) + 1);
          if (r.status === 201) {
            created.push(r.json['request']['id'] as string);
            postMs.push(r.ms);
            lastCreatedAtMs = nowMs();
          } else if (errors.length < 5) errors.push(`${r.status} ${JSON.stringify(r.json).slice(0, 200)}`);
        } catch (err) {
          statusCounts.set('network', (statusCounts.get('network') ?? 0) + 1);
          if (errors.length < 5) errors.push(String(err));
          await sleep(10);
        }
      }
    }),
  );
  return { created, statusCounts, errors, postMs, elapsedMs: nowMs() - startedAtMs, startedAtMs, lastCreatedAtMs };
}

/**
 * Waits until no request is APPROVED any more (auto-approved requests are APPROVED until their
 * grant lands), polling one small status query every `pollMs`. Returns the epoch ms it saw that.
 */
export async function waitNoneApproved(api: GrantlineApi, timeoutMs: number, pollMs = 25): Promise<number> {
  const until = nowMs() + timeoutMs;
  for (;;) {
    if (!(await api.anyWithStatus('APPROVED'))) return nowMs();
    if (nowMs() > until) throw new Error(`requests still APPROVED after ${timeoutMs} ms`);
    await sleep(pollMs);
  }
}

/** Server CPU ms between two readings, and per unit of work. */
export function cpuSpan(server: ServerHandle): () => number {
  const start = server.cpuMs();
  return () => server.cpuMs() - start;
}

export function countsText(counts: ReadonlyMap<string, number>): string {
  return [...counts.entries()].map(([k, v]) => `${k}×${v}`).join(', ') || 'none';
}
