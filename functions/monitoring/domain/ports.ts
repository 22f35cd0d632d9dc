import type { GrantDeps } from '../../access/domain/ports.js';

/** An inline policy as IAM holds it; `document` is the decoded JSON, or null when it did not decode. */
export interface InlinePolicy {
  readonly name: string;
  readonly document: unknown;
}

export interface PrincipalSnapshot {
  readonly name: string;
  /** As IAM reports it, path included. */
  readonly arn: string;
  readonly path: string;
  /** Managed policy ARNs attached directly. */
  readonly attachedPolicies: readonly string[];
  readonly inlinePolicies: readonly InlinePolicy[];
}

export interface UserSnapshot extends PrincipalSnapshot {
  /** Names of the groups the user is in. */
  readonly groups: readonly string[];
}

export type RoleSnapshot = PrincipalSnapshot;
export type GroupSnapshot = PrincipalSnapshot;

/** The account's IAM state, normalised from GetAccountAuthorizationDetails. */
export interface AccountSnapshot {
  readonly users: readonly UserSnapshot[];
  readonly roles: readonly RoleSnapshot[];
  readonly groups: readonly GroupSnapshot[];
}

/** Reads the whole account in a few paginated calls (never one call per principal). */
export interface IamInventory {
  snapshot(): Promise<{ readonly snapshot: AccountSnapshot; readonly calls: number }>;
}

export type RemediationTarget = { readonly type: 'user' | 'role' | 'group'; readonly name: string };

/** One undo of an untracked or leftover IAM change. */
export type Remediation =
  | { readonly action: 'DetachPolicy'; readonly target: RemediationTarget; readonly policyArn: string }
  | { readonly action: 'DeleteInlinePolicy'; readonly target: RemediationTarget; readonly policyName: string }
  | { readonly action: 'RemoveUserFromGroup'; readonly userName: string; readonly groupName: string }
  | { readonly action: 'DeactivateAccessKey'; readonly userName: string; readonly accessKeyId: string }
  | { readonly action: 'DeleteLoginProfile'; readonly userName: string };

/** Undoes changes Grantline did not make; undoing what is already gone succeeds with `changed: false`. */
export interface IamRemediator {
  undo(remediation: Remediation): Promise<{ readonly changed: boolean }>;
}

/** Events on Grantline's own EventBridge bus (source "grantline"). */
export interface EventPublisher {
  publish(detailType: string, detail: Record<string, unknown>): Promise<void>;
}

export interface MonitoringDeps extends GrantDeps {
  readonly inventory: IamInventory;
  readonly remediator: IamRemediator;
  readonly events: EventPublisher;
}
