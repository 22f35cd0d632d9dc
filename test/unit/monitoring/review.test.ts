import { GetAccountAuthorizationDetailsCommand, type GetAccountAuthorizationDetailsCommandOutput, IAMClient } from '@aws-sdk/client-iam';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { verifyChain } from '../../../functions/access/domain/audit-chain.js';
import { inlinePolicyName } from '../../../functions/access/domain/grant-plan.js';
import type { GrantSpec } from '../../../functions/catalog/schema.js';
import { SdkIamInventory } from '../../../functions/monitoring/adapters/iam-inventory.js';
import type { AccountSnapshot, GroupSnapshot, RoleSnapshot, UserSnapshot } from '../../../functions/monitoring/domain/ports.js';
import type { Finding } from '../../../functions/monitoring/domain/review.js';
import { runReview, type ReviewSettings } from '../../../functions/monitoring/use-cases/review.js';
import { ACCOUNT, POLICIES, userArn } from '../../helpers/catalog.js';
import { GRANTLINE_ROLE, monitoringTestDeps, type MonitoringTestDeps, seedRequest } from './helpers.js';

const READ_ONLY: GrantSpec = { type: 'managed-policy', policyArn: POLICIES.readOnly };
const BILLING: GrantSpec = { type: 'group', groupName: 'BillingReaders' };
const S3_WRITE: GrantSpec = {
  type: 'inline-policy',
  policy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['s3:PutObject'], Resource: 'arn:aws:s3:::prod-data/*' }] },
};
const IAM_FULL = 'arn:aws:iam::aws:policy/IAMFullAccess';
const BILLING_POLICY = 'arn:aws:iam::aws:policy/job-function/Billing';
const ADMIN_DOCUMENT = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] };
const S3_DOCUMENT = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }] };
const SETTINGS: ReviewSettings = { ignore: new Set([GRANTLINE_ROLE]) };

const USERS = 10_000;
const name = (i: number) => `user-${String(i).padStart(5, '0')}`;
const user = (n: string, extra: Partial<UserSnapshot> = {}): UserSnapshot => ({
  name: n,
  arn: `arn:aws:iam::${ACCOUNT}:user${extra.path ?? '/'}${n}`,
  path: '/',
  attachedPolicies: [],
  inlinePolicies: [],
  groups: ['developers'],
  ...extra,
});
const role = (n: string, extra: Partial<RoleSnapshot> = {}): RoleSnapshot => ({
  name: n,
  arn: `arn:aws:iam::${ACCOUNT}:role${extra.path ?? '/'}${n}`,
  path: '/',
  attachedPolicies: [],
  inlinePolicies: [],
  ...extra,
});
const group = (n: string, extra: Partial<GroupSnapshot> = {}): GroupSnapshot => ({ name: n, arn: `arn:aws:iam::${ACCOUNT}:group/${n}`, path: '/', attachedPolicies: [], inlinePolicies: [], ...extra });

/**
 * 10,000 users, by i % 1000:
 * 0 AdministratorAccess attached (drift, HIGH) · 1 in group admins (drift via group, HIGH) ·
 * 2 ReadOnlyAccess, no grant (drift, MEDIUM) · 3 ReadOnlyAccess with an ACTIVE grant (fine) ·
 * 4 in BillingReaders, no grant (drift, MEDIUM) · 5 admin-like inline policy (drift, HIGH) ·
 * 6 grantline-<id> of an EXPIRED request (leftover, HIGH) · 7 grantline-<id> of an ACTIVE request (fine) ·
 * 8 under path /staff/ with ReadOnlyAccess and an ACTIVE grant (fine) · 9 in BillingReaders with an ACTIVE grant (fine).
 * Plus alice, bob, carol (dave is missing), 50 roles, 3 groups.
 */
function seededAccount(): AccountSnapshot {
  const users: UserSnapshot[] = ['alice', 'bob', 'carol'].map((n) => user(n));
  for (let i = 0; i < USERS; i++) {
    const n = name(i);
    switch (i % 1000) {
      case 0:
        users.push(user(n, { attachedPolicies: [POLICIES.admin] }));
        break;
      case 1:
        users.push(user(n, { groups: ['developers', 'admins'] }));
        break;
      case 2:
      case 3:
        users.push(user(n, { attachedPolicies: [POLICIES.readOnly] }));
        break;
      case 4:
      case 9:
        users.push(user(n, { groups: ['developers', 'BillingReaders'] }));
        break;
      case 5:
        users.push(user(n, { inlinePolicies: [{ name: 'ops-admin', document: ADMIN_DOCUMENT }] }));
        break;
      case 6:
        users.push(user(n, { inlinePolicies: [{ name: inlinePolicyName(`old-${i}`), document: S3_DOCUMENT }] }));
        break;
      case 7:
        users.push(user(n, { inlinePolicies: [{ name: inlinePolicyName(`s3-${i}`), document: S3_DOCUMENT }] }));
        break;
      case 8:
        users.push(user(n, { path: '/staff/', attachedPolicies: [POLICIES.readOnly] }));
        break;
      default:
        users.push(user(n, { inlinePolicies: i % 7 === 0 ? [{ name: 'notes', document: S3_DOCUMENT }] : [] }));
    }
  }
  const roles: RoleSnapshot[] = [
    role('deployer', { attachedPolicies: [POLICIES.admin] }),
    role('AWSServiceRoleForSupport', { path: '/aws-service-role/support.amazonaws.com/', inlinePolicies: [{ name: 'support', document: ADMIN_DOCUMENT }] }),
    role('grantline-grant', { attachedPolicies: [IAM_FULL] }),
  ];
  for (let i = roles.length; i < 50; i++) roles.push(role(`app-${i}`, { attachedPolicies: ['arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess'] }));
  const groups = [
    group('admins', { attachedPolicies: [POLICIES.admin] }),
    group('developers', { attachedPolicies: [`arn:aws:iam::${ACCOUNT}:policy/dev-tools`], inlinePolicies: [{ name: 'read', document: S3_DOCUMENT }] }),
    group('BillingReaders', { attachedPolicies: [BILLING_POLICY] }),
  ];
  return { users, roles, groups };
}

/** The requests that explain (or used to explain) parts of the seeded account. */
async function seedRequests(deps: MonitoringTestDeps): Promise<void> {
  for (let i = 0; i < USERS; i += 1000) {
    await seedRequest(deps, { id: `ro-${i + 3}`, principal: userArn(name(i + 3)), grant: READ_ONLY, entitlement: 'prod-read', status: 'ACTIVE' });
    await seedRequest(deps, { id: `old-${i + 6}`, principal: userArn(name(i + 6)), grant: S3_WRITE, entitlement: 'prod-admin', status: 'EXPIRED', ageSeconds: 3 * 3600 });
    await seedRequest(deps, { id: `s3-${i + 7}`, principal: userArn(name(i + 7)), grant: S3_WRITE, entitlement: 'prod-admin', status: 'ACTIVE' });
    await seedRequest(deps, { id: `staff-${i + 8}`, principal: userArn(name(i + 8)), grant: READ_ONLY, entitlement: 'prod-read', status: 'ACTIVE' });
    await seedRequest(deps, { id: `billing-${i + 9}`, principal: userArn(name(i + 9)), grant: BILLING, entitlement: 'billing', status: 'ACTIVE' });
  }
}

const drift = (i: number | string) => `drift:${typeof i === 'number' ? userArn(name(i)) : i}`;
const byId = (findings: readonly Finding[]) => new Map(findings.map((f) => [f.id, f]));

/** GetAccountAuthorizationDetails over the snapshot, 1,000 entities a page, documents URL-encoded as IAM sends them. */
function authorizationPages(account: AccountSnapshot, pageSize = 1000) {
  const encode = (policies: UserSnapshot['inlinePolicies']) => policies.map((p) => ({ PolicyName: p.name, PolicyDocument: encodeURIComponent(JSON.stringify(p.document)) }));
  const attached = (arns: readonly string[]) => arns.map((arn) => ({ PolicyArn: arn, PolicyName: arn.split('/').pop() }));
  const entities: Pick<GetAccountAuthorizationDetailsCommandOutput, 'UserDetailList' | 'GroupDetailList' | 'RoleDetailList'>[] = [
    ...account.users.map((u) => ({ UserDetailList: [{ UserName: u.name, Arn: u.arn, Path: u.path, GroupList: [...u.groups], AttachedManagedPolicies: attached(u.attachedPolicies), UserPolicyList: encode(u.inlinePolicies) }] })),
    ...account.groups.map((g) => ({ GroupDetailList: [{ GroupName: g.name, Arn: g.arn, Path: g.path, AttachedManagedPolicies: attached(g.attachedPolicies), GroupPolicyList: encode(g.inlinePolicies) }] })),
    ...account.roles.map((r) => ({ RoleDetailList: [{ RoleName: r.name, Arn: r.arn, Path: r.path, AttachedManagedPolicies: attached(r.attachedPolicies), RolePolicyList: encode(r.inlinePolicies) }] })),
  ];
  return (marker: string | undefined): GetAccountAuthorizationDetailsCommandOutput => {
    const start = marker === undefined ? 0 : Number(marker);
    const slice = entities.slice(start, start + pageSize);
    const more = start + pageSize < entities.length;
    return {
      $metadata: {},
      UserDetailList: slice.flatMap((e) => e.UserDetailList ?? []),
      GroupDetailList: slice.flatMap((e) => e.GroupDetailList ?? []),
      RoleDetailList: slice.flatMap((e) => e.RoleDetailList ?? []),
      IsTruncated: more,
      ...(more ? { Marker: String(start + pageSize) } : {}),
    };
  };
}

let deps: MonitoringTestDeps;

beforeEach(() => {
  deps = monitoringTestDeps();
});

describe('access review of a seeded account of 10,000 users', () => {
  const account = seededAccount();
  let findings: Map<string, Finding>;
  let result: Awaited<ReturnType<typeof runReview>>;

  beforeEach(async () => {
    await seedRequests(deps);
    deps.inventory.account = account;
    deps.inventory.calls = 11;
    result = await runReview(deps, { actor: 'grantline:system', remediate: false }, SETTINGS);
    findings = byId(result.review.findings);
  });

  it('finds drift by principal, with severity', () => {
    expect(findings.get(drift(0))).toMatchObject({
      type: 'DRIFT',
      severity: 'HIGH',
      principal: userArn(name(0)),
      holdings: [{ kind: 'managed-policy', name: POLICIES.admin, reason: 'elevated', entitlements: ['break-glass'] }],
      remediable: false,
    });
    expect(findings.get(drift(1))).toMatchObject({ severity: 'HIGH', holdings: [{ kind: 'managed-policy', name: POLICIES.admin, via: 'admins', reason: 'elevated' }] });
    expect(findings.get(drift(2))).toMatchObject({ severity: 'MEDIUM', holdings: [{ kind: 'managed-policy', name: POLICIES.readOnly, reason: 'catalog-entitlement', entitlements: ['prod-read'] }] });
    expect(findings.get(drift(4))).toMatchObject({ severity: 'MEDIUM', holdings: [{ kind: 'group', name: 'BillingReaders', entitlements: ['billing'] }] });
    expect(findings.get(drift(5))).toMatchObject({ severity: 'HIGH', holdings: [{ kind: 'inline-policy', name: 'ops-admin', reason: 'elevated' }] });
    expect(findings.get(drift(`arn:aws:iam::${ACCOUNT}:role/deployer`))).toMatchObject({ severity: 'HIGH' });
  });

  it('attributes a group attachment to every member', () => {
    const viaAdmins = result.review.findings.filter((f) => f.holdings?.some((h) => h.via === 'admins'));

    expect(viaAdmins.map((f) => f.principal)).toEqual(Array.from({ length: 10 }, (_, k) => userArn(name(k * 1000 + 1))));
  });

  it('reports nothing a holding request explains, whatever the path', () => {
    for (const i of [3, 7, 8, 9, 1003, 9008]) expect(findings.has(drift(i)), name(i)).toBe(false);
    expect([...findings.keys()].filter((id) => id.includes(':role/grantline-grant') || id.includes('AWSServiceRole'))).toEqual([]);
  });

  it('finds Grantline-managed inline policies whose request has ended', () => {
    expect(findings.get(`leftover:${userArn(name(6))}:grantline-old-6`)).toMatchObject({
      type: 'GRANTLINE_LEFTOVER',
      severity: 'HIGH',
      requestId: 'old-6',
      target: { type: 'user', name: name(6) },
      remediable: true,
    });
    expect([...findings.keys()].filter((id) => id.startsWith('leftover:'))).toHaveLength(10);
  });

  it('finds catalog principals that no longer exist and entitlements nobody requested', () => {
    expect(findings.get(`missing-principal:${userArn('dave')}`)).toMatchObject({ type: 'MISSING_PRINCIPAL', severity: 'MEDIUM', catalogGroups: ['contractors'] });
    expect(findings.get('unused-entitlement:break-glass')).toMatchObject({ type: 'UNUSED_ENTITLEMENT', severity: 'LOW' });
    expect([...findings.keys()].filter((id) => id.startsWith('unused-entitlement:'))).toEqual(['unused-entitlement:break-glass']);
  });

  it('summarises the run', () => {
    expect(result.review.summary).toMatchObject({
      principals: 10_053,
      skipped: 2,
      findings: 63,
      bySeverity: { HIGH: 41, MEDIUM: 21, LOW: 1 },
      byType: { DRIFT: 51, GRANTLINE_LEFTOVER: 10, MISSING_PRINCIPAL: 1, UNUSED_ENTITLEMENT: 1 },
      iamCalls: 11,
      remediated: 0,
    });
    expect(result.review.summary.cpuMs).toBeGreaterThanOrEqual(0);
    expect(result.review.findings.map((f) => f.severity)).toEqual([...Array(41).fill('HIGH'), ...Array(21).fill('MEDIUM'), 'LOW']);
  });

  it('stores the report as a kind=REVIEW audit record and publishes its summary', () => {
    const records = deps.audit.records(`review#${result.review.id}`);
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ kind: 'REVIEW', action: 'REVIEW', seq: 1, actor: 'grantline:system', detail: { id: result.review.id, truncated: 0 } });
    expect(verifyChain(records).verified).toBe(true);
    expect(deps.alerts.messages[0]!.subject).toBe('ALERT Grantline access review: 41 high, 21 medium, 1 low');
    expect((deps.alerts.messages[0]!.message['topFindings'] as unknown[]).length).toBe(20);
    expect(deps.events.events).toEqual([{ detailType: 'Grantline Review Completed', detail: expect.objectContaining({ id: result.review.id, summary: result.review.summary }) }]);
    expect(result.published).toEqual({ alerts: true, events: true });
  });
});

describe('reading the account through GetAccountAuthorizationDetails', () => {
  const iam = mockClient(IAMClient);

  afterEach(() => {
    iam.reset();
  });

  it('reads 10,000 users in 11 calls and finds the same drift as the snapshot', async () => {
    const account = seededAccount();
    const page = authorizationPages(account);
    iam.on(GetAccountAuthorizationDetailsCommand).callsFake((input: { Marker?: string }) => page(input.Marker));
    await seedRequests(deps);
    deps.inventory.account = account;
    const direct = await runReview(deps, { actor: 'grantline:system', remediate: false }, SETTINGS);

    const viaSdk = await runReview({ ...deps, inventory: new SdkIamInventory(new IAMClient({ region: 'us-east-1' })) }, { actor: 'grantline:system', remediate: false }, SETTINGS);

    const calls = iam.commandCalls(GetAccountAuthorizationDetailsCommand);
    expect(calls).toHaveLength(11);
    expect(calls[0]!.args[0].input).toEqual({ Filter: ['User', 'Role', 'Group'], MaxItems: 1000, Marker: undefined });
    expect(calls[10]!.args[0].input.Marker).toBe('10000');
    expect(viaSdk.review.summary.iamCalls).toBe(11);
    expect(viaSdk.review.findings).toEqual(direct.review.findings);
    expect(viaSdk.review.findings.filter((f) => f.type === 'DRIFT').map((f) => f.principal)).toHaveLength(51);
  });
});

describe('remediation and edge cases', () => {
  const leftover = (id: string) => user('leaver', { inlinePolicies: [{ name: inlinePolicyName(id), document: S3_DOCUMENT }] });

  it('removes leftover grantline-* policies and records each removal', async () => {
    await seedRequest(deps, { id: 'old-1', principal: userArn('leaver'), grant: S3_WRITE, entitlement: 'prod-admin', status: 'EXPIRED', ageSeconds: 3 * 3600 });
    deps.inventory.account = { users: [leftover('old-1'), leftover('never-existed')], roles: [], groups: [] };

    const { review } = await runReview(deps, { actor: userArn('carol'), remediate: true }, SETTINGS);

    expect(deps.remediator.undone).toEqual([
      { action: 'DeleteInlinePolicy', target: { type: 'user', name: 'leaver' }, policyName: 'grantline-never-existed' },
      { action: 'DeleteInlinePolicy', target: { type: 'user', name: 'leaver' }, policyName: 'grantline-old-1' },
    ]);
    expect(review.summary.remediated).toBe(2);
    expect(byId(review.findings).get(`leftover:${userArn('leaver')}:grantline-old-1`)?.remediation).toMatchObject({ done: true, api: 'DeleteUserPolicy', policyName: 'grantline-old-1' });
    const chain = deps.audit.records('old-1');
    expect(chain.at(-1)).toMatchObject({ action: 'REMEDIATED', actor: userArn('carol'), detail: { reviewId: review.id, api: 'DeleteUserPolicy' }, state: { status: 'EXPIRED' } });
    expect(verifyChain(chain).verified).toBe(true);
  });

  it('records a removal IAM refused, and carries on', async () => {
    deps.inventory.account = { users: [leftover('a'), leftover('b')], roles: [], groups: [] };
    deps.remediator.failNext(new Error('AccessDenied'));

    const { review } = await runReview(deps, { actor: 'grantline:system', remediate: true }, SETTINGS);

    expect(review.findings.filter((f) => f.type === 'GRANTLINE_LEFTOVER').map((f) => f.remediation?.['done'])).toEqual([false, true]);
    expect(review.summary.remediated).toBe(1);
  });

  it('does not call a policy a leftover when the log says its request holds access but the projection lags', async () => {
    await seedRequest(deps, { id: 'lagging', principal: userArn('leaver'), grant: S3_WRITE, entitlement: 'prod-admin', status: 'ACTIVE', project: false });
    deps.inventory.account = { users: [leftover('lagging')], roles: [], groups: [] };

    const { review } = await runReview(deps, { actor: 'grantline:system', remediate: true }, SETTINGS);

    expect(review.findings.filter((f) => f.type === 'GRANTLINE_LEFTOVER')).toEqual([]);
    expect(deps.remediator.undone).toEqual([]);
  });

  it("calls a request's policy on another principal a leftover", async () => {
    await seedRequest(deps, { id: 'mine', principal: userArn('alice'), grant: S3_WRITE, entitlement: 'prod-admin', status: 'ACTIVE' });
    deps.inventory.account = { users: [leftover('mine')], roles: [], groups: [] };

    const { review } = await runReview(deps, { actor: 'grantline:system', remediate: false }, SETTINGS);

    expect(review.findings.filter((f) => f.type === 'GRANTLINE_LEFTOVER').map((f) => f.id)).toEqual([`leftover:${userArn('leaver')}:grantline-mine`]);
  });

  it('stores at most 1000 findings and says how many it left out', async () => {
    deps.inventory.account = { users: Array.from({ length: 1500 }, (_, i) => user(name(i), { attachedPolicies: [POLICIES.admin] })), roles: [], groups: [] };

    const { review } = await runReview(deps, { actor: 'grantline:system', remediate: false }, SETTINGS);

    expect(review.summary.findings).toBeGreaterThan(1500);
    expect(review.findings.length).toBeLessThanOrEqual(1000);
    expect(review.truncated).toBe(review.summary.findings - review.findings.length);
    expect(Buffer.byteLength(JSON.stringify(deps.audit.records(`review#${review.id}`)[0]))).toBeLessThan(400_000);
  });

  it('counts only requests of the last 90 days as use of an entitlement', async () => {
    await seedRequest(deps, { id: 'ancient', principal: userArn('alice'), grant: READ_ONLY, entitlement: 'prod-read', status: 'EXPIRED', ageSeconds: 91 * 86_400 });

    const { review } = await runReview(deps, { actor: 'grantline:system', remediate: false }, SETTINGS);

    expect(review.findings.filter((f) => f.type === 'UNUSED_ENTITLEMENT').map((f) => f.entitlement)).toEqual(['billing', 'break-glass', 'prod-admin', 'prod-read']);
  });

  it('stores the report even when publishing its summary fails', async () => {
    deps.events.failWith = new Error('bus gone');

    const { review, published } = await runReview(deps, { actor: 'grantline:system', remediate: false }, SETTINGS);

    expect(published).toEqual({ alerts: true, events: false });
    expect(deps.audit.records(`review#${review.id}`)).toHaveLength(1);
  });
});
