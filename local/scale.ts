import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { inlinePolicyName } from '../functions/access/domain/grant-plan.js';
import { awsClients } from '../functions/shared/clients.js';
import type { SimulatedIamAccount } from './iam/index.js';
import { PROJECT_ROOT } from './lambda.js';
import { type LocalGrantline, type LocalOptions, startGrantline } from './runtime.js';

/**
 * Scenarios at scale on a local instance, shared by `npm run bench` and the end-to-end tests:
 * the access review over a seeded account of many principals, and the offboarding of one principal
 * with many grants under an IAM rate limit. The account is seeded directly and grants through the
 * API; what is measured goes through the API over HTTP.
 */

const ACCOUNT = '000000000000';
const userArn = (name: string) => `arn:aws:iam::${ACCOUNT}:user/${name}`;
const roleArn = (name: string) => `arn:aws:iam::${ACCOUNT}:role/${name}`;
const awsPolicy = (name: string) => `arn:aws:iam::aws:policy/${name}`;
const pad = (n: number, width: number) => String(n).padStart(width, '0');
const allow = (action: string, resource = '*') => ({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: action, Resource: resource }] });
type Json = Record<string, any>;

async function call(local: LocalGrantline, who: string | null, method: string, path: string, body?: unknown): Promise<{ status: number; json: Json }> {
  const res = await fetch(`${local.url}${path}`, {
    method,
    headers: { ...(who ? { 'x-grantline-caller': userArn(who) } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, json: text ? (JSON.parse(text) as Json) : {} };
}

/** Catalog users the review's account no longer has (someone deleted them in IAM, not in the catalog). */
export const formerStaff = (count: number): string[] => Array.from({ length: count }, (_, i) => `former-${pad(i, 3)}`);

/**
 * The demo catalog plus `bulk-inline` (a small inline policy auto-approved for on-call, so every
 * grant is its own IAM object) and `formerStaff` more members of `contractors`. Written to `dir`.
 */
export function scenarioCatalog(dir: string, options: { formerStaff?: number } = {}): string {
  const catalog = parseYaml(readFileSync(join(PROJECT_ROOT, 'catalog/example.yaml'), 'utf8')) as Json;
  catalog['entitlements'].push({
    id: 'bulk-inline',
    description: 'Scale scenarios only: a small inline policy, so every grant is its own IAM object',
    grant: { type: 'inline-policy', policy: { Statement: [{ Effect: 'Allow', Action: ['logs:GetLogEvents'], Resource: `arn:aws:logs:*:${ACCOUNT}:log-group:/bulk/*` }] } },
    eligible: ['developers'],
    maxDuration: 'PT4H',
    approval: { approvers: ['sre-leads'], required: 1, auto: { groups: ['oncall'], maxDuration: 'PT4H' } },
  });
  catalog['groups']['contractors'].push(...formerStaff(options.formerStaff ?? 0).map(userArn));
  const file = join(dir, 'catalog.yaml');
  writeFileSync(file, stringifyYaml(catalog));
  return file;
}

/**
 * Simulated IAM for many grants of one principal: unthrottled while grants are seeded (throttle
 * with `throttleIam` afterwards), and without IAM's aggregate inline policy quota (2,048 characters
 * per user, 10,240 per role), which would stop one principal at about 10 inline grants.
 */
export const BULK_GRANT_IAM: NonNullable<LocalOptions['iam']> = { throttle: { tps: 1_000_000 }, limits: { inlinePolicySizePerUser: 10_000_000 } };

/** From now on IAM admits `tps` calls per second of local time (`burst` at once), and calls are counted afresh. */
export function throttleIam(local: LocalGrantline, tps: number, burst = tps): void {
  if (!local.iam.throttle) throw new Error('start local mode with an IAM throttle (BULK_GRANT_IAM) to change its rate');
  local.iam.throttle.setRate(tps, burst);
  local.iam.resetCalls();
}

/** Runs `fn` over `items` with at most `limit` at once. */
async function pool<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await fn(items[next++]!);
  }));
}

/** Ids of the requests listed under `status`, every page. */
export async function idsWithStatus(local: LocalGrantline, status: string): Promise<string[]> {
  const ids: string[] = [];
  let token: string | undefined;
  do {
    const r = await call(local, 'carol', 'GET', `/requests?status=${status}&limit=100${token ? `&nextToken=${encodeURIComponent(token)}` : ''}`);
    ids.push(...(r.json['items'] as Json[]).map((item) => item['id'] as string));
    token = r.json['nextToken'];
  } while (token);
  return ids;
}

export interface SeededGrants {
  readonly active: readonly string[];
  readonly pending: readonly string[];
  /** Wall-clock time until every grant was ACTIVE. */
  readonly realMs: number;
}

/**
 * alice requests `grants` bulk-inline grants through the API (25 in flight; auto-approved, so each
 * runs its workflow to ACTIVE) and `pending` prod-deploy requests that wait for an approver.
 */
export async function seedGrants(local: LocalGrantline, options: { grants: number; pending?: number }): Promise<SeededGrants> {
  const t0 = performance.now();
  const active: string[] = [];
  await pool(Array.from({ length: options.grants }, (_, i) => i), 25, async (i) => {
    const r = await call(local, 'alice', 'POST', '/requests', { entitlement: 'bulk-inline', duration: 'PT4H', justification: `bulk ${i}` });
    if (r.status !== 201) throw new Error(`seeding grant ${i}: ${r.status} ${JSON.stringify(r.json)}`);
    active.push(r.json['request'].id);
  });
  const pending: string[] = [];
  for (let i = 0; i < (options.pending ?? 0); i++) {
    const r = await call(local, 'alice', 'POST', '/requests', { entitlement: 'prod-deploy', duration: 'PT1H', justification: 'pending', ticket: `INC-${i}` });
    if (r.status !== 201) throw new Error(`seeding pending request ${i}: ${r.status} ${JSON.stringify(r.json)}`);
    pending.push(r.json['request'].id);
  }
  for (let waited = 0; (await idsWithStatus(local, 'ACTIVE')).length < options.grants; waited++) {
    if (waited > 600) throw new Error('seeded grants did not all become ACTIVE');
    await new Promise((r) => setTimeout(r, 100));
  }
  return { active, pending, realMs: performance.now() - t0 };
}

/** IAM calls as the functions send them (one per SDK `send`, its retries inside), in local time. */
export interface IamActivity {
  readonly sends: number;
  readonly succeeded: number;
  /** Local epoch ms: the first send's start and the last send's end (0 without sends). */
  readonly firstAt: number;
  readonly lastAt: number;
}

/** Watches the functions' IAM client until `stop()`: the window in which the throttle paced the calls. */
export function watchIamCalls(local: LocalGrantline): { stop(): IamActivity } {
  const name = `scale-watch-${performance.now()}`;
  const activity = { sends: 0, succeeded: 0, firstAt: 0, lastAt: 0 };
  const iam = awsClients().iam;
  iam.middlewareStack.add(
    (next) => async (args) => {
      activity.sends++;
      if (activity.firstAt === 0) activity.firstAt = local.clock.now().getTime();
      try {
        const out = await next(args);
        activity.succeeded++;
        return out;
      } finally {
        activity.lastAt = local.clock.now().getTime();
      }
    },
    { step: 'initialize', name, priority: 'high' },
  );
  return {
    stop: () => {
      iam.middlewareStack.remove(name);
      return { ...activity };
    },
  };
}

export interface OffboardingScenario {
  readonly grants: number;
  readonly pending: number;
  readonly tps: number;
  readonly burst: number;
  readonly timeScale: number;
  readonly seedMs: number;
  /** Wall-clock time of POST /offboarding. */
  readonly realMs: number;
  /** The operation's own figures (local time). */
  readonly result: Json;
  /** Requests that reached the simulated IAM during the offboarding, throttled ones and SDK retries included, by command. */
  readonly iamCalls: Record<string, number>;
  readonly iam: IamActivity;
  readonly activeAfter: number;
  readonly revokedAfter: number;
  readonly cancelledAfter: number;
  /** Grantline inline policies alice still has. */
  readonly leftInIam: number;
}

/**
 * alice holds `grants` ACTIVE grants (each its own inline policy) and `pending` pending requests;
 * IAM is then throttled to `tps` calls per second of local time; carol offboards alice.
 */
export async function offboardingScenario(options: { grants: number; pending?: number; tps?: number; burst?: number; timeScale?: number }): Promise<OffboardingScenario> {
  const { grants, pending = 5, tps = 10, burst = tps, timeScale = 20 } = options;
  const dir = mkdtempSync(join(tmpdir(), 'grantline-scale-'));
  const local = await startGrantline({ port: 0, timeScale, schedules: false, catalogFile: scenarioCatalog(dir), iam: BULK_GRANT_IAM });
  try {
    const seeded = await seedGrants(local, { grants, pending });
    throttleIam(local, tps, burst);
    const watch = watchIamCalls(local);
    const t0 = performance.now();
    const r = await call(local, 'carol', 'POST', '/offboarding', { principal: userArn('alice'), reason: 'scale scenario' });
    const realMs = performance.now() - t0;
    const iam = watch.stop();
    if (r.status !== 200) throw new Error(`POST /offboarding: ${r.status} ${JSON.stringify(r.json)}`);
    const iamCalls = Object.fromEntries(local.iam.calls);
    local.iam.throttle!.setRate(1_000_000);
    const inline = Object.keys((await call(local, null, 'GET', '/local/iam/users/alice')).json['inlinePolicies'] ?? {});
    return {
      grants,
      pending,
      tps,
      burst,
      timeScale,
      seedMs: seeded.realMs,
      realMs,
      result: r.json,
      iamCalls,
      iam,
      activeAfter: (await idsWithStatus(local, 'ACTIVE')).length,
      revokedAfter: (await idsWithStatus(local, 'REVOKED')).length,
      cancelledAfter: (await idsWithStatus(local, 'CANCELLED')).length,
      leftInIam: inline.filter((n) => n.startsWith('grantline-')).length,
    };
  } finally {
    await local.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface ReviewAccountPlan {
  readonly users: number;
  readonly roles: number;
  /** Principals given an elevated or catalog-granted permission outside Grantline (default 300). */
  readonly drift?: number;
  /** Principals given a `grantline-<id>` inline policy no request holds (default 150). */
  readonly leftovers?: number;
  /** Catalog users deleted from IAM; the catalog must name them (`scenarioCatalog`'s formerStaff; default 0). */
  readonly missing?: number;
}

/** What the review has to report, by path-free principal ARN. */
export interface PlantedFindings {
  readonly drift: string[];
  readonly leftovers: string[];
  readonly missing: string[];
}

export interface SeededAccount {
  readonly planted: PlantedFindings;
  /** Users, roles and groups: what GetAccountAuthorizationDetails pages through. */
  readonly entities: number;
  /** Service-linked roles, which the review skips. */
  readonly serviceRoles: number;
}

const TEAMS = 24;
const SERVICE_ROLES = 30;

/** Ways to hold power outside Grantline; planted drift cycles through them. */
const DRIFT: readonly { readonly on: 'user' | 'role'; readonly plant: (iam: SimulatedIamAccount, name: string) => void }[] = [
  { on: 'user', plant: (iam, name) => iam.attachUserPolicy(name, awsPolicy('AdministratorAccess')) },
  { on: 'user', plant: (iam, name) => iam.addUserToGroup(name, 'ops-admins') },
  { on: 'user', plant: (iam, name) => iam.putUserPolicy(name, 'admin-copy', allow('*')) },
  // What the catalog's prod-readonly and prod-admin grant, held without a request.
  { on: 'user', plant: (iam, name) => iam.attachUserPolicy(name, awsPolicy('ReadOnlyAccess')) },
  { on: 'user', plant: (iam, name) => iam.addUserToGroup(name, 'prod-admins') },
  { on: 'role', plant: (iam, name) => iam.attachRolePolicy(name, awsPolicy('PowerUserAccess')) },
  { on: 'role', plant: (iam, name) => iam.attachRolePolicy(name, awsPolicy('IAMFullAccess')) },
  { on: 'role', plant: (iam, name) => iam.putRolePolicy(name, 'iam-admin', allow('iam:*')) },
];

/**
 * Seeds an account the way a real one looks, then plants what a review must find. Every user is
 * in one or two of 24 team groups (read-only policies, some inline ones), a third also have
 * IAMReadOnlyAccess and a fifth an inline policy of their own; half the roles have
 * AmazonS3ReadOnlyAccess, a quarter an inline policy, and 30 are service-linked with admin-like
 * inline policies (skipped by the review). Planted: `drift` principals holding power outside
 * Grantline (see DRIFT), `leftovers` principals with a `grantline-<id>` policy of no request (a
 * third roles), and `missing` catalog users deleted.
 */
export function seedReviewAccount(iam: SimulatedIamAccount, plan: ReviewAccountPlan): SeededAccount {
  const { users, roles, drift = 300, leftovers = 150, missing = 0 } = plan;
  const userName = (i: number) => `user-${pad(i, 5)}`;
  const roleName = (i: number) => `app-role-${pad(i, 5)}`;
  const team = (t: number) => `team-${pad(t, 2)}`;
  if (!iam.managedPolicies().some((p) => p.arn === awsPolicy('IAMFullAccess'))) iam.defineAwsManagedPolicy('IAMFullAccess', allow('iam:*'));

  for (let t = 0; t < TEAMS; t++) {
    iam.ensureGroup(team(t));
    iam.attachGroupPolicy(team(t), awsPolicy(t % 2 ? 'IAMReadOnlyAccess' : 'AmazonS3ReadOnlyAccess'));
    if (t % 4 === 0) iam.putGroupPolicy(team(t), 'team-bucket', allow('s3:ListBucket', `arn:aws:s3:::team-${t}`));
  }
  for (const group of ['ops-admins', 'prod-admins']) {
    iam.ensureGroup(group);
    iam.attachGroupPolicy(group, awsPolicy('AdministratorAccess'));
  }
  for (let i = 0; i < users; i++) {
    const name = userName(i);
    iam.createUser(name);
    iam.addUserToGroup(name, team(i % TEAMS));
    if (i % 3 === 0) iam.addUserToGroup(name, team((i * 7 + 5) % TEAMS));
    if (i % 3 === 1) iam.attachUserPolicy(name, awsPolicy('IAMReadOnlyAccess'));
    if (i % 5 === 2) iam.putUserPolicy(name, 'home-bucket', allow('s3:GetObject', `arn:aws:s3:::home/${name}/*`));
  }
  for (let i = 0; i < roles - SERVICE_ROLES; i++) {
    const name = roleName(i);
    iam.createRole(name);
    if (i % 2 === 0) iam.attachRolePolicy(name, awsPolicy('AmazonS3ReadOnlyAccess'));
    if (i % 4 === 1) iam.putRolePolicy(name, 'app-access', allow('s3:GetObject', `arn:aws:s3:::app-${i}/*`));
  }
  for (let i = 0; i < SERVICE_ROLES; i++) {
    const name = `AWSServiceRoleForApp${pad(i, 2)}`;
    iam.createRole(name, undefined, { path: '/aws-service-role/app.amazonaws.com/' });
    iam.putRolePolicy(name, 'service', allow('*'));
  }

  // Planted findings go to distinct principals, users and roles numbered from 0.
  let nextUser = 0;
  let nextRole = 0;
  const take = (on: 'user' | 'role') => (on === 'user' ? userName(nextUser++) : roleName(nextRole++));
  const planted: PlantedFindings = { drift: [], leftovers: [], missing: [] };
  for (let k = 0; k < drift; k++) {
    const kind = DRIFT[k % DRIFT.length]!;
    const name = take(kind.on);
    kind.plant(iam, name);
    planted.drift.push(kind.on === 'user' ? userArn(name) : roleArn(name));
  }
  for (let k = 0; k < leftovers; k++) {
    const on = k % 3 === 2 ? 'role' : 'user';
    const name = take(on);
    const policyName = inlinePolicyName(`00000000-0000-4000-8000-${pad(k, 12)}`);
    if (on === 'user') iam.putUserPolicy(name, policyName, allow('s3:GetObject'));
    else iam.putRolePolicy(name, policyName, allow('s3:GetObject'));
    planted.leftovers.push(on === 'user' ? userArn(name) : roleArn(name));
  }
  if (nextUser > users || nextRole > roles - SERVICE_ROLES) throw new RangeError('more planted findings than principals to plant them on');
  for (const name of formerStaff(missing)) {
    iam.deleteUser(name);
    planted.missing.push(userArn(name));
  }
  return { planted, entities: iam.users().length + iam.roles().length + iam.groups().length, serviceRoles: SERVICE_ROLES };
}

/** alice's live grants during a review: a managed policy and an inline one, both ACTIVE. */
async function liveGrants(local: LocalGrantline): Promise<void> {
  for (const entitlement of ['prod-readonly', 'bulk-inline']) {
    const r = await call(local, 'alice', 'POST', '/requests', { entitlement, duration: 'PT1H', justification: 'live grant during the review' });
    if (r.status !== 201) throw new Error(`POST /requests: ${r.status} ${JSON.stringify(r.json)}`);
    for (let waited = 0; (await call(local, 'alice', 'GET', `/requests/${r.json['request'].id}`)).json['request'].status !== 'ACTIVE'; waited++) {
      if (waited > 100) throw new Error('the live grant did not become ACTIVE');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

export interface ReviewRun {
  readonly realMs: number;
  /** CPU time of this process during POST /reviews (the review runs in it). */
  readonly cpuMs: number;
  readonly iamCalls: Record<string, number>;
  readonly review: Json;
}

/** The last run's figures, and every run's. */
export interface ReviewScenario extends ReviewRun, SeededAccount {
  readonly principals: number;
  readonly runs: readonly ReviewRun[];
}

/**
 * `seedReviewAccount` on a fresh instance whose catalog names `missing` former staff, with alice
 * holding two live grants; carol runs the review over HTTP `runs` times (default 1).
 */
export async function reviewScenario(options: ReviewAccountPlan & { runs?: number }): Promise<ReviewScenario> {
  const dir = mkdtempSync(join(tmpdir(), 'grantline-scale-'));
  const local = await startGrantline({ port: 0, schedules: false, catalogFile: scenarioCatalog(dir, { formerStaff: options.missing ?? 0 }) });
  try {
    await liveGrants(local);
    const seeded = seedReviewAccount(local.iam, options);
    const runs: ReviewRun[] = [];
    for (let i = 0; i < (options.runs ?? 1); i++) {
      local.iam.resetCalls();
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      const r = await call(local, 'carol', 'POST', '/reviews', {});
      const realMs = performance.now() - t0;
      const cpu = process.cpuUsage(cpu0);
      if (r.status !== 201) throw new Error(`POST /reviews: ${r.status} ${JSON.stringify(r.json)}`);
      runs.push({ realMs, cpuMs: (cpu.user + cpu.system) / 1000, iamCalls: Object.fromEntries(local.iam.calls), review: r.json['review'] });
    }
    return { ...runs.at(-1)!, ...seeded, principals: local.iam.users().length + local.iam.roles().length, runs };
  } finally {
    await local.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
