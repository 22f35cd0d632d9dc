import type { GrantSpec } from '../../catalog/schema.js';

export const STATUSES = [
  'PENDING_APPROVAL',
  'APPROVED',
  'ACTIVE',
  'REVOKED',
  'EXPIRED',
  'DENIED',
  'APPROVAL_EXPIRED',
  'CANCELLED',
  'GRANT_FAILED',
  'REVOKE_FAILED',
] as const;
export type Status = (typeof STATUSES)[number];

export const TERMINAL_STATUSES: ReadonlySet<Status> = new Set([
  'REVOKED',
  'EXPIRED',
  'DENIED',
  'APPROVAL_EXPIRED',
  'CANCELLED',
  'GRANT_FAILED',
]);

/** Statuses in which IAM may hold (or be about to hold) access for the request. */
export const HOLDING_STATUSES: ReadonlySet<Status> = new Set(['APPROVED', 'ACTIVE', 'REVOKE_FAILED']);

/** An authenticated caller, normalised from the SigV4 principal (or the local header). */
export interface Caller {
  /** The ARN as the caller presented it (user ARN or assumed-role session ARN). */
  readonly arn: string;
  /** The IAM entity access is granted to: arn:aws:iam::ACCT:user/NAME or arn:aws:iam::ACCT:role/NAME. */
  readonly principalArn: string;
  readonly accountId: string;
  /** Set for assumed-role sessions (Identity Center puts the user name here). */
  readonly sessionName?: string;
}

export interface Approval {
  readonly by: string;
  readonly at: string;
  readonly comment?: string;
}

export interface Decision {
  readonly by: string;
  readonly at: string;
  readonly reason: string;
}

export interface AccessRequest {
  readonly id: string;
  readonly status: Status;
  readonly requester: string;
  readonly principal: string;
  readonly entitlement: string;
  /** The grant as the catalog defined it when requested: revoke undoes exactly this. */
  readonly grant: GrantSpec;
  readonly duration: string;
  readonly durationSeconds: number;
  readonly justification: string;
  readonly ticket: string | null;
  readonly createdAt: string;
  readonly approvalDeadline: string | null;
  readonly requiredApprovals: number;
  readonly autoApproved: boolean;
  readonly approvals: readonly Approval[];
  readonly grantedAt: string | null;
  readonly expiresAt: string | null;
  readonly endedAt: string | null;
  readonly denial: Decision | null;
  readonly revocation: Decision | null;
  readonly failure: { readonly error: string; readonly cause: string } | null;
  readonly catalogVersion: string;
  /** Sequence number of the audit record this state was taken from. */
  readonly seq: number;
}

export const AUDIT_ACTIONS = [
  'REQUESTED',
  'APPROVED',
  'DENIED',
  'CANCELLED',
  'APPROVAL_EXPIRED',
  'GRANTED',
  'GRANT_FAILED',
  'REVOKE_REQUESTED',
  'REVOKED',
  'EXPIRED',
  'REVOKE_FAILED',
  // A shared attachment or membership kept at revoke for another grant, removed once that one ended too.
  'SHARED_ACCESS_REMOVED',
  'ANOMALY',
  // Records of an operation over many requests (kind OFFBOARDING / KILL_SWITCH), not of one request.
  'OFFBOARDING',
  'KILL_SWITCH',
  // Monitoring: a stored access review (kind REVIEW), and a leftover grant the review removed.
  'REVIEW',
  'REMEDIATED',
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

/** What a decision produces before it is sealed into the chain. */
export interface AuditDraft {
  readonly action: AuditAction;
  readonly actor: string;
  readonly reason?: string;
  readonly detail: Record<string, unknown>;
  readonly state: AccessRequest;
}

export interface AuditRecord {
  readonly requestId: string;
  readonly seq: number;
  readonly at: string;
  readonly actor: string;
  readonly action: AuditAction;
  readonly reason?: string;
  readonly detail: Record<string, unknown>;
  readonly catalogVersion: string;
  /** The request after this change: the log alone rebuilds every projection. */
  readonly state?: AccessRequest;
  /** Set on records that are not part of a request's lifecycle (e.g. ANOMALY). */
  readonly kind?: string;
  readonly prevHash: string;
  readonly hash: string;
}

/** Who Grantline itself acts as in the audit log (timeouts, expiry, the sweeper). */
export const SYSTEM_ACTOR = 'grantline:system';
