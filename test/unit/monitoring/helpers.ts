import { readFileSync } from 'node:fs';
import type { GrantSpec } from '../../../functions/catalog/schema.js';
import { recordGrant, recordRevoke, recordRevokeFailure } from '../../../functions/access/domain/lifecycle.js';
import type { Page, PageRequest, RequestQuery } from '../../../functions/access/domain/ports.js';
import type { AccessRequest, AuditDraft, AuditRecord, Status } from '../../../functions/access/domain/types.js';
import { sealDraft } from '../../../functions/access/use-cases/commit.js';
import type {
  AccountSnapshot,
  EventPublisher,
  IamInventory,
  IamRemediator,
  Remediation,
} from '../../../functions/monitoring/domain/ports.js';
import { ACCOUNT, CATALOG_VERSION, roleArn } from '../../helpers/catalog.js';
import { encodeOffset, MemoryAuditLog, MemoryRequestStore, testDeps, type TestDeps } from '../../helpers/memory.js';
import { requestState } from '../../helpers/requests.js';

const copy = <T>(value: T): T => structuredClone(value);

function decodeOffset(token: string | undefined): number {
  return token === undefined ? 0 : (JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { offset: number }).offset;
}

/** The shared in-memory audit log plus the byKind index (newest first, like the GSI queried descending). */
export class KindAuditLog extends MemoryAuditLog {
  private readonly withKind: AuditRecord[] = [];
  appends = 0;

  override async append(record: AuditRecord): Promise<void> {
    this.appends++;
    await super.append(record);
    if (record.kind) this.withKind.push(copy(record));
  }

  async listByKind(kind: string, since: string, page: PageRequest): Promise<Page<AuditRecord>> {
    const offset = decodeOffset(page.nextToken);
    const matches = this.withKind.filter((r) => r.kind === kind && r.at >= since).sort((a, b) => b.at.localeCompare(a.at));
    const next = offset + page.limit < matches.length ? encodeOffset(offset + page.limit) : undefined;
    return { items: matches.slice(offset, offset + page.limit).map(copy), ...(next ? { nextToken: next } : {}) };
  }

  /** Every kind=ANOMALY record, for assertions. */
  anomalies(): AuditRecord[] {
    return this.withKind.filter((r) => r.kind === 'ANOMALY').map(copy);
  }
}

/** The shared in-memory projection plus the `createdSince` scan the review uses. */
export class ScanRequestStore extends MemoryRequestStore {
  private readonly latest = new Map<string, AccessRequest>();

  override async save(request: AccessRequest): Promise<void> {
    await super.save(request);
    const seen = this.latest.get(request.id);
    if (!seen || seen.seq < request.seq) this.latest.set(request.id, copy(request));
  }

  override async query(query: RequestQuery, page: PageRequest): Promise<Page<AccessRequest>> {
    if (query.by !== 'createdSince') return super.query(query, page);
    const offset = decodeOffset(page.nextToken);
    const matches = [...this.latest.values()].filter((r) => r.createdAt >= query.since);
    const next = offset + page.limit < matches.length ? encodeOffset(offset + page.limit) : undefined;
    return { items: matches.slice(offset, offset + page.limit).map(copy), ...(next ? { nextToken: next } : {}) };
  }
}

export class FakeRemediator implements IamRemediator {
  readonly undone: Remediation[] = [];
  private readonly failures: Error[] = [];

  failNext(error: Error): this {
    this.failures.push(error);
    return this;
  }

  async undo(remediation: Remediation): Promise<{ changed: boolean }> {
    const failure = this.failures.shift();
    if (failure) throw failure;
    this.undone.push(copy(remediation));
    return { changed: true };
  }
}

export class FakeInventory implements IamInventory {
  constructor(
    public account: AccountSnapshot = { users: [], roles: [], groups: [] },
    public calls = 1,
  ) {}

  async snapshot(): Promise<{ snapshot: AccountSnapshot; calls: number }> {
    return { snapshot: this.account, calls: this.calls };
  }
}

export class RecordingPublisher implements EventPublisher {
  readonly events: { detailType: string; detail: Record<string, unknown> }[] = [];
  failWith: Error | undefined;

  async publish(detailType: string, detail: Record<string, unknown>): Promise<void> {
    if (this.failWith) throw this.failWith;
    this.events.push({ detailType, detail: copy(detail) });
  }
}

export type MonitoringTestDeps = TestDeps & {
  readonly audit: KindAuditLog;
  readonly requests: ScanRequestStore;
  readonly inventory: FakeInventory;
  readonly remediator: FakeRemediator;
  readonly events: RecordingPublisher;
};

export function monitoringTestDeps(): MonitoringTestDeps {
  const audit = new KindAuditLog();
  const requests = new ScanRequestStore();
  return {
    ...testDeps({ audit, requests }),
    audit,
    requests,
    inventory: new FakeInventory(),
    remediator: new FakeRemediator(),
    events: new RecordingPublisher(),
  };
}

/** The role Grantline grants with in these tests (GRANTLINE_ROLE_ARNS). */
export const GRANTLINE_ROLE = roleArn('grantline-grant');
export const GRANTLINE_ROLES: ReadonlySet<string> = new Set([GRANTLINE_ROLE]);

export const IDENTITIES = {
  mallory: {
    type: 'IAMUser',
    principalId: 'AIDAEXAMPLEMALLORY',
    arn: `arn:aws:iam::${ACCOUNT}:user/mallory`,
    accountId: ACCOUNT,
    accessKeyId: 'AKIAEXAMPLEMALLORY',
    userName: 'mallory',
  },
  alice: {
    type: 'IAMUser',
    principalId: 'AIDAEXAMPLEALICE',
    arn: `arn:aws:iam::${ACCOUNT}:user/alice`,
    accountId: ACCOUNT,
    accessKeyId: 'ASIAEXAMPLEALICE',
    userName: 'alice',
  },
  grantline: {
    type: 'AssumedRole',
    principalId: 'AROAEXAMPLEGRANT:grantline-grant-fn',
    arn: `arn:aws:sts::${ACCOUNT}:assumed-role/grantline-grant/grantline-grant-fn`,
    accountId: ACCOUNT,
    accessKeyId: 'ASIAEXAMPLEGRANT',
    sessionContext: {
      sessionIssuer: { type: 'Role', principalId: 'AROAEXAMPLEGRANT', arn: GRANTLINE_ROLE, accountId: ACCOUNT, userName: 'grantline-grant' },
      attributes: { creationDate: '2030-01-15T09:00:00Z', mfaAuthenticated: 'false' },
    },
  },
} as const;

export function fixture<T = Record<string, unknown>>(name: string): T {
  return JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8')) as T;
}

export interface TrailOptions {
  readonly eventName?: string;
  readonly eventSource?: string;
  readonly requestParameters?: Record<string, unknown> | null;
  readonly responseElements?: Record<string, unknown> | null;
  readonly identity?: Record<string, unknown>;
  readonly eventId?: string;
  readonly eventTime?: string;
  readonly errorCode?: string;
}

let eventCounter = 0;

/** The attach-user-policy fixture, re-aimed: by default a fresh event id each call. */
export function trailEvent(options: TrailOptions = {}): Record<string, unknown> {
  const event = fixture<{ detail: Record<string, unknown>; source: string }>('attach-user-policy.json');
  const eventSource = options.eventSource ?? 'iam.amazonaws.com';
  const detail: Record<string, unknown> = {
    ...event.detail,
    eventID: options.eventId ?? `evt-${String(++eventCounter).padStart(6, '0')}`,
    ...(options.eventName ? { eventName: options.eventName } : {}),
    eventSource,
    ...(options.requestParameters !== undefined ? { requestParameters: options.requestParameters } : {}),
    ...(options.responseElements !== undefined ? { responseElements: options.responseElements } : {}),
    ...(options.identity ? { userIdentity: options.identity } : {}),
    ...(options.eventTime ? { eventTime: options.eventTime } : {}),
    ...(options.errorCode ? { errorCode: options.errorCode, errorMessage: 'simulated failure' } : {}),
  };
  return { ...event, source: `aws.${eventSource.split('.')[0]}`, detail };
}

export interface SeedOptions {
  readonly id: string;
  readonly principal: string;
  readonly grant: GrantSpec;
  readonly entitlement: string;
  readonly status: Extract<Status, 'PENDING_APPROVAL' | 'APPROVED' | 'ACTIVE' | 'REVOKE_FAILED' | 'EXPIRED'>;
  /** Seconds before the clock's now at which the request was created (default 0). */
  readonly ageSeconds?: number;
  /** Projected into the requests store too (default true). */
  readonly project?: boolean;
}

/** A request written straight into the log (a valid chain) and the projection, as its execution would have left it. */
export async function seedRequest(deps: MonitoringTestDeps, s: SeedOptions): Promise<AccessRequest> {
  const now = deps.clock();
  const created = new Date(now.getTime() - (s.ageSeconds ?? 0) * 1000);
  const pending = s.status === 'PENDING_APPROVAL';
  const requested = requestState({
    id: s.id,
    status: pending ? 'PENDING_APPROVAL' : 'APPROVED',
    requester: s.principal,
    principal: s.principal,
    entitlement: s.entitlement,
    grant: s.grant,
    createdAt: created.toISOString(),
    approvalDeadline: pending ? new Date(created.getTime() + 3600_000).toISOString() : null,
    requiredApprovals: pending ? 1 : 0,
    autoApproved: !pending,
  });
  const drafts: ((state: AccessRequest) => AuditDraft)[] = [];
  if (s.status === 'ACTIVE' || s.status === 'REVOKE_FAILED' || s.status === 'EXPIRED') {
    drafts.push((state) => recordGrant(state, created, new Date(created.getTime() + state.durationSeconds * 1000), {}));
  }
  if (s.status === 'REVOKE_FAILED') drafts.push((state) => recordRevokeFailure(state, 'RevokeFailed', 'simulated', {}));
  if (s.status === 'EXPIRED') drafts.push((state) => recordRevoke(state, new Date(Date.parse(state.expiresAt!) + 1000), {}));

  let last = sealDraft(s.id, { action: 'REQUESTED', actor: s.principal, detail: {}, state: requested }, undefined, created, CATALOG_VERSION);
  await deps.audit.append(last);
  for (const draft of drafts) {
    last = sealDraft(s.id, draft(last.state!), last, created, CATALOG_VERSION);
    await deps.audit.append(last);
  }
  if (s.project !== false) await deps.requests.save(last.state!);
  return last.state!;
}
