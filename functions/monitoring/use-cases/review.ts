import { GENESIS_HASH, seal } from '../../access/domain/audit-chain.js';
import { ForbiddenError, NotFoundError } from '../../access/domain/errors.js';
import type { AccessDeps, RequestQuery } from '../../access/domain/ports.js';
import { isAdmin } from '../../access/domain/roles.js';
import { type AccessRequest, type AuditRecord, type Caller, HOLDING_STATUSES } from '../../access/domain/types.js';
import { commit } from '../../access/use-cases/commit.js';
import type { AccountSnapshot, MonitoringDeps } from '../domain/ports.js';
import { canReadMonitoring } from '../domain/readers.js';
import { describeRemediation } from '../domain/remediation.js';
import {
  capFindings,
  type Finding,
  grantlineRequestId,
  pathFree,
  REVIEW_KIND,
  reviewFindings,
  type ReviewSummary,
  summarise,
  UNUSED_AFTER_DAYS,
} from '../domain/review.js';

export const REVIEW_COMPLETED = 'Grantline Review Completed';

export interface ReviewSettings {
  /** Path-free principal ARNs not checked for drift: Grantline's own roles and an accepted baseline. */
  readonly ignore: ReadonlySet<string>;
}

export interface ReviewOptions {
  /** Who asked: an admin's ARN, or the system actor for the schedule. */
  readonly actor: string;
  /** Delete Grantline-managed inline policies no request holds. */
  readonly remediate: boolean;
}

export interface ReviewReport {
  readonly id: string;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly catalogVersion: string;
  readonly actor: string;
  readonly remediate: boolean;
  readonly summary: ReviewSummary;
  /** Most severe first; at most MAX_STORED_FINDINGS (and about 300 KB). */
  readonly findings: readonly Finding[];
  /** Findings left out of the stored report by the cap. */
  readonly truncated: number;
}

export interface ReviewResult {
  readonly review: ReviewReport;
  /** Whether the summary reached SNS and the event bus; the report is stored either way. */
  readonly published: { readonly alerts: boolean; readonly events: boolean };
}

const PAGE = 100;
const HOLDING = ['APPROVED', 'ACTIVE', 'REVOKE_FAILED'] as const;
/** How many findings the SNS summary lists (SNS messages stop at 256 KB). */
const ALERTED_FINDINGS = 20;

export function reviewRequestId(id: string): string {
  return `review#${id}`;
}

async function collect(deps: Pick<AccessDeps, 'requests'>, query: RequestQuery): Promise<AccessRequest[]> {
  const all: AccessRequest[] = [];
  let nextToken: string | undefined;
  do {
    const page = await deps.requests.query(query, { limit: PAGE, nextToken });
    all.push(...page.items);
    nextToken = page.nextToken;
  } while (nextToken);
  return all;
}

/**
 * The projection may lag the log: before calling a `grantline-<id>` policy a leftover, ask the log
 * whether request <id> holds access. IAM is read first, so a grant that lands during the review is
 * already in the requests read after it.
 */
async function confirmHolders(deps: Pick<AccessDeps, 'audit'>, snapshot: AccountSnapshot, holding: AccessRequest[]): Promise<AccessRequest[]> {
  const known = new Map(holding.map((r) => [r.id, r]));
  const candidates = new Set<string>();
  for (const entity of [...snapshot.users, ...snapshot.roles]) {
    for (const p of entity.inlinePolicies) {
      const id = grantlineRequestId(p.name);
      if (id !== undefined && known.get(id)?.principal !== pathFree(entity.arn)) candidates.add(id);
    }
  }
  const confirmed = [...holding];
  for (const id of candidates) {
    if (known.has(id)) continue;
    const state = (await deps.audit.latest(id))?.state;
    if (state && HOLDING_STATUSES.has(state.status)) confirmed.push(state);
  }
  return confirmed;
}

/**
 * Reads IAM in a few paginated calls, compares it with the catalog and the requests, optionally
 * removes Grantline-managed leftovers, stores the report as a kind=REVIEW audit record and
 * publishes its summary.
 */
export async function runReview(deps: MonitoringDeps, options: ReviewOptions, settings: ReviewSettings): Promise<ReviewResult> {
  const cpuStart = process.cpuUsage();
  const started = deps.clock();
  const id = deps.newId();
  const { catalog, version } = deps.catalog();

  const { snapshot, calls } = await deps.inventory.snapshot();
  const projected = (await Promise.all(HOLDING.map((status) => collect(deps, { by: 'status', status })))).flat();
  const holding = await confirmHolders(deps, snapshot, projected);
  const since = new Date(started.getTime() - UNUSED_AFTER_DAYS * 86_400_000).toISOString();
  const recent = await collect(deps, { by: 'createdSince', since });

  const computed = reviewFindings({ snapshot, catalog, holding, recent, ignore: settings.ignore });
  const findings = options.remediate ? await remediate(deps, computed.findings, id, options.actor) : computed.findings;

  const cpu = process.cpuUsage(cpuStart);
  const summary = summarise(findings, {
    principals: computed.principals,
    skipped: computed.skipped,
    iamCalls: calls,
    cpuMs: Math.round((cpu.user + cpu.system) / 1000),
    remediated: findings.filter((f) => f.remediation?.['done'] === true).length,
  });
  const { kept, truncated } = capFindings(findings);
  const finished = deps.clock();
  const review: ReviewReport = {
    id,
    startedAt: started.toISOString(),
    finishedAt: finished.toISOString(),
    catalogVersion: version,
    actor: options.actor,
    remediate: options.remediate,
    summary,
    findings: kept,
    truncated,
  };
  await deps.audit.append(
    seal({
      requestId: reviewRequestId(id),
      seq: 1,
      at: finished.toISOString(),
      actor: options.actor,
      action: 'REVIEW',
      reason: options.remediate ? 'access review with remediation' : 'access review',
      detail: { ...review },
      catalogVersion: version,
      kind: REVIEW_KIND,
      prevHash: GENESIS_HASH,
    }),
  );
  return { review, published: await publish(deps, review) };
}

/** Deletes each leftover `grantline-*` policy and records the removal on its request's chain (when there is one). */
async function remediate(deps: MonitoringDeps, findings: readonly Finding[], reviewId: string, actor: string): Promise<Finding[]> {
  const out: Finding[] = [];
  for (const finding of findings) {
    if (finding.type !== 'GRANTLINE_LEFTOVER' || !finding.target || !finding.policyName) {
      out.push(finding);
      continue;
    }
    const remediation = { action: 'DeleteInlinePolicy', target: finding.target, policyName: finding.policyName } as const;
    const call = describeRemediation(remediation);
    try {
      const { changed } = await deps.remediator.undo(remediation);
      const at = deps.clock().toISOString();
      if (finding.requestId && (await deps.audit.latest(finding.requestId))?.state) {
        await commit(deps, finding.requestId, (state) => ({
          action: 'REMEDIATED',
          actor,
          reason: `access review ${reviewId} removed leftover ${finding.policyName}`,
          detail: { reviewId, findingId: finding.id, ...call, changed },
          state,
        }));
      }
      out.push({ ...finding, remediation: { done: true, changed, at, ...call } });
    } catch (err) {
      deps.logger?.error('could not remove a Grantline leftover', { ...call, error: String(err) });
      out.push({ ...finding, remediation: { done: false, ...call, error: err instanceof Error ? `${err.name}: ${err.message}` : String(err) } });
    }
  }
  return out;
}

async function publish(deps: MonitoringDeps, review: ReviewReport): Promise<ReviewResult['published']> {
  const { HIGH, MEDIUM, LOW } = review.summary.bySeverity;
  const headline = { type: 'ReviewCompleted', id: review.id, startedAt: review.startedAt, finishedAt: review.finishedAt, catalogVersion: review.catalogVersion, remediate: review.remediate, summary: review.summary };
  const attempt = async (what: string, send: () => Promise<void>) => {
    try {
      await send();
      return true;
    } catch (err) {
      deps.logger?.error(`could not publish the review summary to ${what}`, { reviewId: review.id, error: String(err) });
      return false;
    }
  };
  const alerts = await attempt('SNS', () =>
    deps.alerts.publish(`${HIGH > 0 ? 'ALERT ' : ''}Grantline access review: ${HIGH} high, ${MEDIUM} medium, ${LOW} low`, {
      ...headline,
      topFindings: review.findings.slice(0, ALERTED_FINDINGS).map((f) => ({ id: f.id, type: f.type, severity: f.severity, message: f.message })),
    }),
  );
  const events = await attempt('the event bus', () => deps.events.publish(REVIEW_COMPLETED, headline));
  return { alerts, events };
}

function requireReader(deps: Pick<AccessDeps, 'catalog'>, caller: Caller): void {
  if (!canReadMonitoring(deps.catalog().catalog, caller)) throw new ForbiddenError('Only admins and approvers can read access reviews');
}

export function requireReviewer(deps: Pick<AccessDeps, 'catalog'>, caller: Caller): void {
  if (!isAdmin(deps.catalog().catalog, caller)) throw new ForbiddenError('Only admins can run an access review');
}

function reportOf(record: AuditRecord | undefined, what: string): { review: ReviewReport; hash: string } {
  if (!record || record.kind !== REVIEW_KIND) throw new NotFoundError(`No review ${what}`);
  return { review: record.detail as unknown as ReviewReport, hash: record.hash };
}

export async function latestReview(deps: Pick<AccessDeps, 'audit' | 'catalog'>, caller: Caller): Promise<{ review: ReviewReport; hash: string }> {
  requireReader(deps, caller);
  if (!deps.audit.listByKind) throw new Error('This audit log cannot list records by kind');
  const page = await deps.audit.listByKind(REVIEW_KIND, new Date(0).toISOString(), { limit: 1 });
  return reportOf(page.items[0], 'has run yet');
}

export async function readReview(deps: Pick<AccessDeps, 'audit' | 'catalog'>, caller: Caller, id: string): Promise<{ review: ReviewReport; hash: string }> {
  requireReader(deps, caller);
  return reportOf(await deps.audit.latest(reviewRequestId(id)), id);
}
