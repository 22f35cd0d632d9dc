import { holdingHorizon } from '../../access/domain/duration.js';
import { INLINE_POLICY_PREFIX } from '../../access/domain/grant-plan.js';
import { ConcurrentWriteError, ForbiddenError } from '../../access/domain/errors.js';
import type { AccessDeps, Page, PageRequest } from '../../access/domain/ports.js';
import type { AccessRequest, AuditRecord, Caller } from '../../access/domain/types.js';
import { commit } from '../../access/use-cases/commit.js';
import {
  ANOMALY_KIND,
  type AnomalyMode,
  type AnomalyReason,
  actionOf,
  actorOf,
  actorPrincipal,
  anomalyRecord,
  anomalyRequestId,
  classifyChange,
  isGrantlineActor,
  type ObservedChange,
  observeChange,
  outsideEntitlement,
  revertPlan,
  severityOf,
} from '../domain/anomaly.js';
import type { MonitoringDeps } from '../domain/ports.js';
import { canReadMonitoring } from '../domain/readers.js';
import { describeRemediation } from '../domain/remediation.js';
import type { CloudTrailEvent } from '../schemas/cloudtrail.js';

export interface AnomalySettings {
  readonly mode: AnomalyMode;
  /** Grantline's own role ARNs (path-free): the only callers whose grants can be normal. */
  readonly grantlineRoles: ReadonlySet<string>;
}

export type IamEventOutcome =
  /** not-watched: neither a watched IAM change nor a call outside an active grant's declared actions. */
  | { readonly outcome: 'ignored'; readonly eventId: string; readonly reason: 'failed-call' | 'not-watched' }
  | { readonly outcome: 'normal'; readonly eventId: string; readonly requestId: string }
  | { readonly outcome: 'duplicate'; readonly eventId: string }
  | {
      readonly outcome: 'anomaly';
      readonly eventId: string;
      readonly reasons: readonly AnomalyReason[];
      readonly requestIds: readonly string[];
      readonly reverted: Record<string, unknown> | null;
      readonly record: AuditRecord;
    };

type Deps = Pick<MonitoringDeps, 'audit' | 'requests' | 'alerts' | 'remediator' | 'clock' | 'catalog' | 'logger'>;

const PAGE = 100;

/** `<principal>|inline|grantline-<id>` → `<id>`. */
function inlineRequestId(key: string): string | undefined {
  const name = key.split('|inline|')[1];
  return name?.startsWith(INLINE_POLICY_PREFIX) ? name.slice(INLINE_POLICY_PREFIX.length) : undefined;
}

/**
 * The request that explains Grantline's own change, read as cheaply as possible: the request named
 * by a `grantline-<id>` inline policy, else the principal's requests newest first, a page at a
 * time, stopping at the first that planned this object.
 */
async function explainingRequest(
  deps: Pick<AccessDeps, 'audit' | 'requests'>,
  event: CloudTrailEvent,
  observed: ObservedChange,
  grantlineRoles: ReadonlySet<string>,
): Promise<string | undefined> {
  const explain = (requests: readonly AccessRequest[]) => {
    const verdict = classifyChange(event, observed, { grantlineRoles, requests });
    return verdict.verdict === 'grantline-grant' ? verdict.requestId : undefined;
  };
  const ownId = inlineRequestId(observed.grant!.key);
  if (ownId) {
    const own = (await deps.audit.latest(ownId))?.state;
    return own ? explain([own]) : undefined;
  }
  const since = holdingHorizon(new Date(event.detail.eventTime));
  let nextToken: string | undefined;
  do {
    const page = await deps.requests.query({ by: 'principal', principal: observed.grant!.principal, createdSince: since }, { limit: 25, nextToken });
    const found = explain(page.items);
    if (found) return found;
    nextToken = page.nextToken;
  } while (nextToken);
  return undefined;
}

/** The principal's requests that can have held access at `eventTime` (created within the holding horizon before it). */
async function requestsOf(deps: Pick<AccessDeps, 'requests'>, principal: string, eventTime: Date): Promise<AccessRequest[]> {
  const all: AccessRequest[] = [];
  let nextToken: string | undefined;
  do {
    const page = await deps.requests.query({ by: 'principal', principal, createdSince: holdingHorizon(eventTime) }, { limit: PAGE, nextToken });
    all.push(...page.items);
    nextToken = page.nextToken;
  } while (nextToken);
  return all;
}

/**
 * One CloudTrail event: a watched IAM change that no Grantline grant explains, or a grantee's call
 * outside the actions their active grant declares, becomes one kind=ANOMALY record (keyed by the
 * event id, so a redelivery is recognised) and one alert. In revert mode an untracked change is
 * undone first and the record says what was undone, or why not.
 */
export async function checkCloudTrailEvent(deps: Deps, event: CloudTrailEvent, settings: AnomalySettings): Promise<IamEventOutcome> {
  const { detail } = event;
  const eventId = detail.eventID;
  if (detail.errorCode !== undefined) return { outcome: 'ignored', eventId, reason: 'failed-call' };

  const observed = observeChange(event);
  const grantline = isGrantlineActor(detail.userIdentity, settings.grantlineRoles);
  const byPrincipal = new Map<string, Promise<AccessRequest[]>>();
  const lookup = (principal: string) => {
    if (!byPrincipal.has(principal)) byPrincipal.set(principal, requestsOf(deps, principal, new Date(detail.eventTime)));
    return byPrincipal.get(principal)!;
  };

  // The usual case, Grantline's own change, is settled without reading the principal's history:
  // its inline policy names the request, and otherwise the request is among the newest.
  if (grantline && observed?.grant) {
    const explained = await explainingRequest(deps, event, observed, settings.grantlineRoles);
    if (explained) return { outcome: 'normal', eventId, requestId: explained };
  }

  const targetRequests = observed?.grant ? await lookup(observed.grant.principal) : [];
  const verdict = observed ? classifyChange(event, observed, { grantlineRoles: settings.grantlineRoles, requests: targetRequests }) : undefined;
  if (verdict?.verdict === 'grantline-grant') return { outcome: 'normal', eventId, requestId: verdict.requestId };

  const actor = grantline ? undefined : actorPrincipal(detail.userIdentity);
  const outside = actor ? outsideEntitlement(detail, await lookup(actor)) : [];

  const reasons: AnomalyReason[] = [];
  const why: string[] = [];
  if (verdict?.verdict === 'untracked') {
    reasons.push('untracked-change');
    why.push(`${detail.eventName} not explained by a Grantline grant: ${verdict.why}`);
  }
  if (outside.length > 0) {
    reasons.push('outside-entitlement');
    why.push(`${actionOf(detail)} is outside the actions declared by ${outside.map((r) => `${r.entitlement} (${r.id})`).join(', ')}`);
  }
  if (reasons.length === 0) return { outcome: 'ignored', eventId, reason: 'not-watched' };

  // A redelivered event: recorded (and alerted) the first time.
  if (await deps.audit.latest(anomalyRequestId(eventId))) return { outcome: 'duplicate', eventId };

  const reverted = settings.mode === 'revert' && observed && reasons.includes('untracked-change') ? await revert(deps, observed, targetRequests) : null;
  for (const request of outside) await recordOnRequest(deps, request.id, event);

  const record = anomalyRecord(
    { event, observed, reasons, why: why.join('; '), requestIds: outside.map((r) => r.id), mode: settings.mode, reverted },
    deps.clock(),
    deps.catalog().version,
  );
  // Alert before the append: if the alert fails, the retry finds no record and tries again (a
  // redelivery after a successful append sends nothing). At least once beats at most once here.
  await deps.alerts.publish(alertSubject(record), { type: 'Anomaly', requestId: record.requestId, at: record.at, reason: record.reason, ...record.detail });
  try {
    await deps.audit.append(record);
  } catch (err) {
    if (err instanceof ConcurrentWriteError) return { outcome: 'duplicate', eventId };
    throw err;
  }
  return { outcome: 'anomaly', eventId, reasons, requestIds: outside.map((r) => r.id), reverted, record };
}

/** Undoes the change when that is safe; an IAM failure is recorded, not thrown: the anomaly is recorded either way. */
async function revert(deps: Deps, observed: ObservedChange, holders: readonly AccessRequest[]): Promise<Record<string, unknown>> {
  const plan = revertPlan(observed, holders);
  if ('none' in plan) return { done: false, why: plan.none };
  const call = describeRemediation(plan);
  try {
    const { changed } = await deps.remediator.undo(plan);
    // CloudTrail does not carry the document a Put*Policy replaced: deleting cannot bring it back.
    const note = plan.action === 'DeleteInlinePolicy' ? { note: 'a policy of the same name that existed before the change is not restored' } : {};
    return { done: true, changed, ...call, ...note, at: deps.clock().toISOString() };
  } catch (err) {
    deps.logger?.error('could not revert an untracked IAM change', { ...call, error: String(err) });
    return { done: false, ...call, error: err instanceof Error ? `${err.name}: ${err.message}` : String(err) };
  }
}

/** The grantee's call, on the request's own chain (state unchanged); skipped if a redelivery already put it there. */
async function recordOnRequest(deps: Deps, requestId: string, event: CloudTrailEvent): Promise<void> {
  const { detail } = event;
  const chain = await deps.audit.list(requestId);
  if (chain.some((r) => r.action === 'ANOMALY' && r.detail['eventId'] === detail.eventID)) return;
  await commit(deps, requestId, (state) => ({
    action: 'ANOMALY',
    actor: actorOf(detail.userIdentity).arn,
    reason: `${actionOf(detail)} is outside the actions ${state.entitlement} declares`,
    detail: {
      eventId: detail.eventID,
      eventName: detail.eventName,
      eventSource: detail.eventSource,
      eventTime: detail.eventTime,
      sourceIp: detail.sourceIPAddress ?? null,
      region: detail.awsRegion,
      anomaly: anomalyRequestId(detail.eventID),
    },
    state,
  }));
}

function alertSubject(record: AuditRecord): string {
  const d = record.detail as { eventName: string; target: { type: string; name: string }; reasons: AnomalyReason[] };
  const prefix = severityOf(d.reasons) === 'HIGH' ? 'ALERT Grantline: untracked IAM change' : 'Grantline: call outside a grant';
  return `${prefix} ${d.eventName} on ${d.target.type}/${d.target.name}`;
}

/** GET /anomalies: kind=ANOMALY records at or after `since`, newest first; admins and approvers only. */
export async function listAnomalies(
  deps: Pick<AccessDeps, 'audit' | 'catalog'>,
  caller: Caller,
  since: string,
  page: PageRequest,
): Promise<Page<AuditRecord>> {
  if (!canReadMonitoring(deps.catalog().catalog, caller)) throw new ForbiddenError('Only admins and approvers can read anomalies');
  if (!deps.audit.listByKind) throw new Error('This audit log cannot list records by kind');
  return deps.audit.listByKind(ANOMALY_KIND, since, page);
}
