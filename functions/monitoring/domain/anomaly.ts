import { GENESIS_HASH, seal } from '../../access/domain/audit-chain.js';
import { INLINE_POLICY_PREFIX, sharedObjectKey } from '../../access/domain/grant-plan.js';
import { callerFromArn } from '../../access/domain/identity.js';
import { type AccessRequest, type AuditRecord, HOLDING_STATUSES } from '../../access/domain/types.js';
import type { CloudTrailDetail, CloudTrailEvent, CloudTrailUserIdentity } from '../schemas/cloudtrail.js';
import { allowsAction, decodePolicyDocument } from './policy.js';
import type { Remediation } from './ports.js';

export const ANOMALY_KIND = 'ANOMALY';
export const ANOMALY_MODES = ['alert', 'revert'] as const;
export type AnomalyMode = (typeof ANOMALY_MODES)[number];

/**
 * IAM calls that give someone more access than they had. The EventBridge rule matches these names
 * (infra imports this list); anything else reaching the function only feeds the in-window watch.
 */
export const WATCHED_IAM_EVENTS = [
  'AttachUserPolicy',
  'AttachRolePolicy',
  'AttachGroupPolicy',
  'PutUserPolicy',
  'PutRolePolicy',
  'PutGroupPolicy',
  'AddUserToGroup',
  'CreateAccessKey',
  'CreateLoginProfile',
  'UpdateLoginProfile',
  'UpdateAssumeRolePolicy',
  'CreatePolicyVersion',
  'SetDefaultPolicyVersion',
  'DeleteRolePermissionsBoundary',
  'DeleteUserPermissionsBoundary',
  'PutRolePermissionsBoundary',
  'PutUserPermissionsBoundary',
] as const;
export type WatchedIamEvent = (typeof WATCHED_IAM_EVENTS)[number];

const WATCHED: ReadonlySet<string> = new Set(WATCHED_IAM_EVENTS);

export type ChangeTarget = { readonly type: 'user' | 'role' | 'group' | 'policy'; readonly name: string };

/** A watched IAM call, read from its CloudTrail record. */
export interface ObservedChange {
  readonly eventName: WatchedIamEvent;
  readonly target: ChangeTarget;
  /** The request parameters that say what changed (policy documents decoded). */
  readonly change: Record<string, unknown>;
  /**
   * The object this call creates in the form `sharedObjectKey` gives a grant, for the three kinds of
   * change Grantline itself makes (attach to / inline policy on a user or role, group membership).
   */
  readonly grant: { readonly principal: string; readonly key: string } | null;
  /** How `revert` mode undoes the call, or why it cannot. */
  readonly inverse: Remediation | { readonly none: string };
}

export interface Actor {
  readonly arn: string;
  readonly type: string;
  readonly issuer?: string;
}

export function actorOf(identity: CloudTrailUserIdentity): Actor {
  const issuer = identity.sessionContext?.sessionIssuer?.arn;
  return { arn: identity.arn ?? identity.principalId ?? identity.invokedBy ?? 'unknown', type: identity.type, ...(issuer ? { issuer } : {}) };
}

/** `arn:aws:iam::1:role/path/name` → `arn:aws:iam::1:role/name`: STS sessions never carry the path. */
export function normaliseRoleArn(arn: string): string | undefined {
  try {
    return callerFromArn(arn).principalArn;
  } catch {
    return undefined;
  }
}

/** Made by one of Grantline's own roles (the issuer of the session that called IAM)? */
export function isGrantlineActor(identity: CloudTrailUserIdentity, grantlineRoles: ReadonlySet<string>): boolean {
  const issuer = identity.sessionContext?.sessionIssuer?.arn;
  if (identity.type !== 'AssumedRole' || !issuer) return false;
  const role = normaliseRoleArn(issuer);
  return role !== undefined && grantlineRoles.has(role);
}

/** The user or role behind the call, in the form requests record principals; undefined for root, services, federation. */
export function actorPrincipal(identity: CloudTrailUserIdentity): string | undefined {
  if ((identity.type !== 'IAMUser' && identity.type !== 'AssumedRole') || !identity.arn) return undefined;
  try {
    return callerFromArn(identity.arn).principalArn;
  } catch {
    return undefined;
  }
}

const UNKNOWN = '(unknown)';
const str = (v: unknown): string | undefined => (typeof v === 'string' && v.length > 0 ? v : undefined);

/** What changed, without the target's name (it is in `target`) and with documents decoded. */
function changeOf(detail: CloudTrailDetail): Record<string, unknown> {
  const params = detail.requestParameters ?? {};
  const change: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(params)) {
    if (key === 'userName' || key === 'roleName' || key === 'groupName') continue;
    if (value === undefined) continue;
    change[key] = key === 'policyDocument' ? (decodePolicyDocument(value) ?? value) : value;
  }
  if (detail.eventName === 'AddUserToGroup' && str(params['groupName'])) change['groupName'] = params['groupName'];
  const accessKey = detail.responseElements?.['accessKey'] as Record<string, unknown> | undefined;
  if (detail.eventName === 'CreateAccessKey' && str(accessKey?.['accessKeyId'])) change['accessKeyId'] = accessKey!['accessKeyId'];
  return change;
}

function partitionOf(detail: CloudTrailDetail): string {
  return /^arn:(aws[a-z-]*):/.exec(detail.userIdentity.arn ?? '')?.[1] ?? 'aws';
}

/**
 * Reads a watched IAM call; undefined for calls that are not watched. A watched call whose record
 * lacks a parameter is still observed (target "(unknown)", no inverse): it is never dropped.
 */
export function observeChange(event: Pick<CloudTrailEvent, 'account' | 'detail'>): ObservedChange | undefined {
  const { detail } = event;
  if (detail.eventSource !== 'iam.amazonaws.com' || !WATCHED.has(detail.eventName)) return undefined;
  const eventName = detail.eventName as WatchedIamEvent;
  const p = detail.requestParameters ?? {};
  const userName = str(p['userName']);
  const roleName = str(p['roleName']);
  const groupName = str(p['groupName']);
  const policyArn = str(p['policyArn']);
  const policyName = str(p['policyName']);
  const arnOf = (type: 'user' | 'role', name: string) => `arn:${partitionOf(detail)}:iam::${event.account}:${type}/${name}`;
  const change = changeOf(detail);
  const observed = (target: ChangeTarget, grant: ObservedChange['grant'], inverse: ObservedChange['inverse']): ObservedChange => ({ eventName, target, change, grant, inverse });
  const incomplete = (type: ChangeTarget['type'], name: string | undefined): ObservedChange =>
    observed({ type, name: name ?? UNKNOWN }, null, { none: `the ${eventName} record lacks the parameters that name what changed` });

  switch (eventName) {
    case 'AttachUserPolicy':
    case 'AttachRolePolicy': {
      const type = eventName === 'AttachUserPolicy' ? 'user' : 'role';
      const name = type === 'user' ? userName : roleName;
      if (!name || !policyArn) return incomplete(type, name);
      const principal = arnOf(type, name);
      return observed({ type, name }, { principal, key: `${principal}|policy|${policyArn}` }, { action: 'DetachPolicy', target: { type, name }, policyArn });
    }
    case 'PutUserPolicy':
    case 'PutRolePolicy': {
      const type = eventName === 'PutUserPolicy' ? 'user' : 'role';
      const name = type === 'user' ? userName : roleName;
      if (!name || !policyName) return incomplete(type, name);
      const principal = arnOf(type, name);
      return observed({ type, name }, { principal, key: `${principal}|inline|${policyName}` }, { action: 'DeleteInlinePolicy', target: { type, name }, policyName });
    }
    case 'AddUserToGroup': {
      if (!userName || !groupName) return incomplete('user', userName);
      const principal = arnOf('user', userName);
      return observed({ type: 'user', name: userName }, { principal, key: `${principal}|group|${groupName}` }, { action: 'RemoveUserFromGroup', userName, groupName });
    }
    case 'AttachGroupPolicy':
      if (!groupName || !policyArn) return incomplete('group', groupName);
      return observed({ type: 'group', name: groupName }, null, { action: 'DetachPolicy', target: { type: 'group', name: groupName }, policyArn });
    case 'PutGroupPolicy':
      if (!groupName || !policyName) return incomplete('group', groupName);
      return observed({ type: 'group', name: groupName }, null, { action: 'DeleteInlinePolicy', target: { type: 'group', name: groupName }, policyName });
    case 'CreateAccessKey': {
      // Without userName the key is the caller's own (an IAM user, or root).
      const owner = userName ?? str((detail.responseElements?.['accessKey'] as Record<string, unknown> | undefined)?.['userName']) ?? detail.userIdentity.userName;
      const accessKeyId = str(change['accessKeyId']);
      if (!owner || !accessKeyId) return incomplete('user', owner ?? detail.userIdentity.arn);
      return observed({ type: 'user', name: owner }, null, { action: 'DeactivateAccessKey', userName: owner, accessKeyId });
    }
    case 'CreateLoginProfile': {
      const owner = userName ?? detail.userIdentity.userName;
      if (!owner) return incomplete('user', detail.userIdentity.arn);
      return observed({ type: 'user', name: owner }, null, { action: 'DeleteLoginProfile', userName: owner });
    }
    case 'UpdateLoginProfile':
    case 'DeleteUserPermissionsBoundary':
    case 'PutUserPermissionsBoundary':
      return observed({ type: 'user', name: userName ?? UNKNOWN }, null, { none: `the state before ${eventName} is not in the event` });
    case 'UpdateAssumeRolePolicy':
    case 'DeleteRolePermissionsBoundary':
    case 'PutRolePermissionsBoundary':
      return observed({ type: 'role', name: roleName ?? UNKNOWN }, null, { none: `the state before ${eventName} is not in the event` });
    case 'CreatePolicyVersion':
    case 'SetDefaultPolicyVersion':
      return observed({ type: 'policy', name: policyArn ?? UNKNOWN }, null, { none: 'the previous default version is not in the event' });
  }
}

/**
 * Did this request hold (or was it being granted) the object at `eventTime`? Holding now counts;
 * so does a request that ended after the call, because CloudTrail reaches EventBridge minutes late
 * and a short grant may be over by then.
 */
function heldAt(request: AccessRequest, eventTime: string): boolean {
  if (HOLDING_STATUSES.has(request.status)) return true;
  if (request.status !== 'REVOKED' && request.status !== 'EXPIRED' && request.status !== 'GRANT_FAILED') return false;
  return request.createdAt <= eventTime && request.endedAt !== null && request.endedAt >= eventTime;
}

export type IamVerdict =
  | { readonly verdict: 'grantline-grant'; readonly requestId: string }
  | { readonly verdict: 'untracked'; readonly why: string };

/**
 * Normal means: one of Grantline's roles made the call, and a request that holds access planned
 * exactly this object (same principal and policy ARN, inline policy `grantline-<id>`, or group).
 * `requests` are the requests of the change's principal.
 */
export function classifyChange(
  event: Pick<CloudTrailEvent, 'detail'>,
  observed: ObservedChange,
  ctx: { readonly grantlineRoles: ReadonlySet<string>; readonly requests: readonly AccessRequest[] },
): IamVerdict {
  if (!isGrantlineActor(event.detail.userIdentity, ctx.grantlineRoles)) return { verdict: 'untracked', why: 'the caller is not a Grantline role' };
  if (!observed.grant) return { verdict: 'untracked', why: `Grantline never calls ${observed.eventName}` };
  const eventTime = new Date(event.detail.eventTime).toISOString();
  const match = ctx.requests.find((r) => r.principal === observed.grant!.principal && sharedObjectKey(r) === observed.grant!.key && heldAt(r, eventTime));
  return match
    ? { verdict: 'grantline-grant', requestId: match.id }
    : { verdict: 'untracked', why: 'a Grantline role made it, but no request that holds access planned this change' };
}

/**
 * What revert mode may undo. An object that a Grantline grant still needs (the same attachment or
 * membership, or Grantline's own inline policy) stays: undoing it would take the grant away, and an
 * overwritten inline document cannot be restored from the event.
 */
export function revertPlan(observed: ObservedChange, holders: readonly AccessRequest[]): Remediation | { readonly none: string } {
  if ('none' in observed.inverse) return observed.inverse;
  const key = observed.grant?.key;
  const neededBy = key ? holders.find((r) => HOLDING_STATUSES.has(r.status) && sharedObjectKey(r) === key) : undefined;
  if (neededBy) return { none: `Grantline request ${neededBy.id} holds the same object; undoing the change would revoke that grant` };
  if (observed.inverse.action === 'DeleteInlinePolicy' && observed.inverse.policyName.startsWith(INLINE_POLICY_PREFIX)) {
    return { none: `${observed.inverse.policyName} is a Grantline-managed name; the access review removes it if no request holds it` };
  }
  return observed.inverse;
}

/** `service:EventName`, the IAM action a CloudTrail record most likely stands for (best effort). */
export function actionOf(detail: Pick<CloudTrailDetail, 'eventSource' | 'eventName'>): string {
  // Some services name events after a versioned API operation: Lambda's UpdateFunctionCode20150331v2.
  const name = detail.eventName.replace(/\d{8}(v\d+)?$/, '');
  return `${detail.eventSource.split('.')[0]}:${name}`;
}

/** AWS managed policies whose actions are known without reading them. */
const KNOWN_MANAGED_ACTIONS: Readonly<Record<string, unknown>> = {
  AdministratorAccess: { Statement: [{ Effect: 'Allow', Action: '*' }] },
};

/** The actions a grant declares: an inline document, or a well-known managed policy; null when unknown. */
export function declaredActions(request: Pick<AccessRequest, 'grant'>): unknown {
  if (request.grant.type === 'inline-policy') return request.grant.policy;
  if (request.grant.type === 'managed-policy') return KNOWN_MANAGED_ACTIONS[request.grant.policyArn.split('/').pop()!] ?? null;
  return null;
}

function activeAt(request: AccessRequest, eventTime: string): boolean {
  if (request.grantedAt === null || request.grantedAt > eventTime) return false;
  const until = request.endedAt ?? request.expiresAt;
  return request.status === 'ACTIVE' || request.status === 'REVOKE_FAILED' || (until !== null && until > eventTime);
}

/**
 * In-window watch: the actor's grants active when the call was made whose declared actions do not
 * cover it. Grants with unknown actions (most managed policies, groups) neither cover nor flag; if
 * any grant with declared actions covers the call, nothing is flagged.
 */
export function outsideEntitlement(detail: Pick<CloudTrailDetail, 'eventSource' | 'eventName' | 'eventTime'>, requests: readonly AccessRequest[]): AccessRequest[] {
  const eventTime = new Date(detail.eventTime).toISOString();
  const action = actionOf(detail);
  const declared = requests.filter((r) => activeAt(r, eventTime)).flatMap((r) => {
    const document = declaredActions(r);
    return document === null ? [] : [{ request: r, document }];
  });
  if (declared.some((d) => allowsAction(d.document, action))) return [];
  return declared.map((d) => d.request);
}

export type AnomalyReason = 'untracked-change' | 'outside-entitlement';

export interface AnomalyInput {
  readonly event: CloudTrailEvent;
  readonly observed: ObservedChange | undefined;
  readonly reasons: readonly AnomalyReason[];
  readonly why: string;
  readonly requestIds: readonly string[];
  readonly mode: AnomalyMode;
  readonly reverted: Record<string, unknown> | null;
}

export function anomalyRequestId(eventId: string): string {
  return `anomaly#${eventId}`;
}

/** HIGH: someone changed IAM outside Grantline. MEDIUM: a grantee stepped outside the grant. */
export function severityOf(reasons: readonly AnomalyReason[]): 'HIGH' | 'MEDIUM' {
  return reasons.includes('untracked-change') ? 'HIGH' : 'MEDIUM';
}

/** The kind=ANOMALY audit record of one CloudTrail event: its own one-record chain, keyed by the event id. */
export function anomalyRecord(input: AnomalyInput, at: Date, catalogVersion: string): AuditRecord {
  const { event, observed } = input;
  const { detail } = event;
  const actor = actorOf(detail.userIdentity);
  const target = observed?.target ?? { type: 'action', name: actionOf(detail) };
  return seal({
    requestId: anomalyRequestId(detail.eventID),
    seq: 1,
    at: at.toISOString(),
    actor: actor.arn,
    action: 'ANOMALY',
    reason: input.why,
    detail: {
      eventId: detail.eventID,
      eventName: detail.eventName,
      eventSource: detail.eventSource,
      eventTime: detail.eventTime,
      actor,
      target,
      change: observed?.change ?? {},
      reasons: [...input.reasons],
      severity: severityOf(input.reasons),
      requestIds: [...input.requestIds],
      mode: input.mode,
      reverted: input.reverted,
      sourceIp: detail.sourceIPAddress ?? null,
      region: detail.awsRegion,
      account: event.account,
    },
    catalogVersion,
    kind: ANOMALY_KIND,
    prevHash: GENESIS_HASH,
  });
}
