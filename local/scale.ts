import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { PROJECT_ROOT } from './lambda.js';
import { type LocalGrantline, startGrantline } from './runtime.js';

/**
 * Scenarios at scale on a local instance, shared by `npm run bench` and the end-to-end tests:
 * the access review over a seeded account of many principals, and the offboarding of one principal
 * with many grants under an IAM rate limit. Everything goes through the API over HTTP.
 */

const ACCOUNT = '000000000000';
const arn = (user: string) => `arn:aws:iam::${ACCOUNT}:user/${user}`;
type Json = Record<string, any>;

async function call(local: LocalGrantline, who: string | null, method: string, path: string, body?: unknown): Promise<{ status: number; json: Json }> {
  const res = await fetch(`${local.url}${path}`, {
    method,
    headers: { ...(who ? { 'x-grantline-caller': arn(who) } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, json: text ? (JSON.parse(text) as Json) : {} };
}

/** The demo catalog plus `bulk-inline`: one inline policy per grant, auto-approved for on-call. */
function scenarioCatalog(dir: string): string {
  const catalog = parseYaml(readFileSync(join(PROJECT_ROOT, 'catalog/example.yaml'), 'utf8')) as Json;
  catalog['entitlements'].push({
    id: 'bulk-inline',
    description: 'Scale scenarios only: a small inline policy, so every grant is its own IAM object',
    grant: { type: 'inline-policy', policy: { Statement: [{ Effect: 'Allow', Action: ['logs:GetLogEvents'], Resource: `arn:aws:logs:*:${ACCOUNT}:log-group:/bulk/*` }] } },
    eligible: ['developers'],
    maxDuration: 'PT4H',
    approval: { approvers: ['sre-leads'], required: 1, auto: { groups: ['oncall'], maxDuration: 'PT4H' } },
  });
  const file = join(dir, 'catalog.yaml');
  writeFileSync(file, stringifyYaml(catalog));
  return file;
}

/** Runs `fn` over `items` with at most `limit` at once. */
async function pool<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await fn(items[next++]!);
  }));
}

async function statusCount(local: LocalGrantline, status: string): Promise<number> {
  let count = 0;
  let token: string | undefined;
  do {
    const r = await call(local, 'carol', 'GET', `/requests?status=${status}&limit=100${token ? `&nextToken=${encodeURIComponent(token)}` : ''}`);
    count += (r.json['items'] as Json[]).length;
    token = r.json['nextToken'];
  } while (token);
  return count;
}

export interface OffboardingScenario {
  readonly grants: number;
  readonly pending: number;
  readonly tps: number;
  readonly timeScale: number;
  readonly seedMs: number;
  /** Wall-clock time of POST /offboarding. */
  readonly realMs: number;
  /** The operation's own figures (local time). */
  readonly result: Json;
  /** IAM calls during the offboarding, throttled attempts included, by command. */
  readonly iamCalls: Record<string, number>;
  readonly activeAfter: number;
  readonly revokedAfter: number;
  readonly cancelledAfter: number;
  /** Grantline inline policies alice still has. */
  readonly leftInIam: number;
}

/**
 * alice holds `grants` ACTIVE grants (each its own inline policy) and `pending` pending requests;
 * IAM is throttled to `tps` calls per second of local time; carol offboards alice.
 */
export async function offboardingScenario(options: { grants: number; pending?: number; tps?: number; timeScale?: number }): Promise<OffboardingScenario> {
  const { grants, pending = 5, tps = 10, timeScale = 20 } = options;
  const dir = mkdtempSync(join(tmpdir(), 'grantline-scale-'));
  const local = await startGrantline({
    port: 0,
    timeScale,
    schedules: false,
    catalogFile: scenarioCatalog(dir),
    // Seeded unthrottled; IAM's inline-policy size quota (2,048 characters per user) would stop at ~10 grants.
    iam: { throttle: { tps: 1_000_000 }, limits: { inlinePolicySizePerUser: 10_000_000 } },
  });
  try {
    const seed0 = performance.now();
    const ids: string[] = [];
    await pool(Array.from({ length: grants }, (_, i) => i), 25, async (i) => {
      const r = await call(local, 'alice', 'POST', '/requests', { entitlement: 'bulk-inline', duration: 'PT4H', justification: `bulk ${i}` });
      if (r.status !== 201) throw new Error(`seeding grant ${i}: ${r.status} ${JSON.stringify(r.json)}`);
      ids.push(r.json['request'].id);
    });
    for (let i = 0; i < pending; i++) {
      await call(local, 'alice', 'POST', '/requests', { entitlement: 'prod-deploy', duration: 'PT1H', justification: 'pending', ticket: `INC-${i}` });
    }
    for (let waited = 0; (await statusCount(local, 'ACTIVE')) < grants; waited++) {
      if (waited > 600) throw new Error('seeded grants did not all become ACTIVE');
      await new Promise((r) => setTimeout(r, 100));
    }
    const seedMs = performance.now() - seed0;

    if (tps > 0) local.iam.throttle!.setRate(tps, tps);
    local.iam.resetCalls();
    const t0 = performance.now();
    const r = await call(local, 'carol', 'POST', '/offboarding', { principal: arn('alice'), reason: 'scale scenario' });
    const realMs = performance.now() - t0;
    if (r.status !== 200) throw new Error(`POST /offboarding: ${r.status} ${JSON.stringify(r.json)}`);
    const iamCalls = Object.fromEntries(local.iam.calls);
    local.iam.throttle!.setRate(1_000_000);
    const inline = Object.keys((await call(local, null, 'GET', '/local/iam/users/alice')).json['inlinePolicies'] ?? {});
    return {
      grants,
      pending,
      tps,
      timeScale,
      seedMs,
      realMs,
      result: r.json,
      iamCalls,
      activeAfter: await statusCount(local, 'ACTIVE'),
      revokedAfter: await statusCount(local, 'REVOKED'),
      cancelledAfter: await statusCount(local, 'CANCELLED'),
      leftInIam: inline.filter((n) => n.startsWith('grantline-')).length,
    };
  } finally {
    await local.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface ReviewScenario {
  readonly principals: number;
  readonly realMs: number;
  /** CPU time of this process during POST /reviews (the review runs in it). */
  readonly cpuMs: number;
  readonly iamCalls: Record<string, number>;
  readonly review: Json;
  readonly planted: { readonly drift: string[]; readonly leftovers: string[] };
}

/**
 * An account of `users` users and `roles` roles (about one in ten in a group, most with a
 * read-only policy), with `drift` users holding AdministratorAccess outside Grantline and
 * `leftovers` users holding a `grantline-<id>` inline policy of no live grant; alice holds one
 * live Grantline grant. carol runs the review over HTTP.
 */
export async function reviewScenario(options: { users: number; roles: number; drift?: number; leftovers?: number }): Promise<ReviewScenario> {
  const { users, roles, drift = 100, leftovers = 50 } = options;
  const local = await startGrantline({ port: 0, timeScale: 60, schedules: false });
  try {
    const granted = await call(local, 'alice', 'POST', '/requests', { entitlement: 'prod-readonly', duration: 'PT1H', justification: 'live grant during the review' });
    const iam = local.iam;
    for (let g = 0; g < 20; g++) {
      iam.ensureGroup(`team-${g}`);
      iam.attachPolicy('group', `team-${g}`, 'arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess');
    }
    const planted = { drift: [] as string[], leftovers: [] as string[] };
    for (let i = 0; i < users; i++) {
      const name = `user-${String(i).padStart(5, '0')}`;
      iam.ensureUser(name);
      if (i % 10 === 0) iam.addUserToGroup(name, `team-${i % 20}`);
      if (i % 3 === 0) iam.attachPolicy('user', name, 'arn:aws:iam::aws:policy/IAMReadOnlyAccess');
      if (i < drift) {
        iam.attachPolicy('user', name, 'arn:aws:iam::aws:policy/AdministratorAccess');
        planted.drift.push(arn(name));
      } else if (i < drift + leftovers) {
        iam.putUserPolicy(name, `grantline-00000000-0000-4000-8000-${String(i).padStart(12, '0')}`, { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }] });
        planted.leftovers.push(arn(name));
      }
    }
    for (let i = 0; i < roles; i++) {
      const name = `role-${String(i).padStart(5, '0')}`;
      iam.ensureRole(name);
      if (i % 2 === 0) iam.attachPolicy('role', name, 'arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess');
    }
    for (let waited = 0; (await call(local, 'alice', 'GET', `/requests/${granted.json['request'].id}`)).json['request'].status !== 'ACTIVE'; waited++) {
      if (waited > 100) throw new Error('the live grant did not become ACTIVE');
      await new Promise((r) => setTimeout(r, 50));
    }

    iam.resetCalls();
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const r = await call(local, 'carol', 'POST', '/reviews', {});
    const realMs = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    if (r.status !== 201) throw new Error(`POST /reviews: ${r.status} ${JSON.stringify(r.json)}`);
    return {
      principals: users + roles,
      realMs,
      cpuMs: (cpu.user + cpu.system) / 1000,
      iamCalls: Object.fromEntries(iam.calls),
      review: r.json['review'],
      planted,
    };
  } finally {
    await local.stop();
  }
}
