import type { Catalog } from '../../catalog/schema.js';
import type { IamChange } from './grant-plan.js';
import type { AccessRequest, AuditRecord, Status } from './types.js';

/** Append-only, hash-chained log; the conditional append on (requestId, seq) is the commit point. */
export interface AuditLog {
  /** The newest record of a request, read consistently. */
  latest(requestId: string): Promise<AuditRecord | undefined>;
  /** Every record of a request, oldest first. */
  list(requestId: string): Promise<AuditRecord[]>;
  /** Throws ConcurrentWriteError when (requestId, seq) already exists. */
  append(record: AuditRecord): Promise<void>;
  /** Records with a `kind` (e.g. ANOMALY) at or after `since`, newest first. */
  listByKind?(kind: string, since: string, page: PageRequest): Promise<Page<AuditRecord>>;
}

export type TaskTokenKind = 'approval' | 'expiry';

export interface StoredRequest {
  /** Absent when only a task token was stored (the projection write had not landed yet). */
  readonly request: AccessRequest | undefined;
  readonly tokens: Partial<Record<TaskTokenKind, string>>;
}

export interface PageRequest {
  readonly limit: number;
  readonly nextToken?: string | undefined;
}

export interface Page<T> {
  readonly items: T[];
  readonly nextToken?: string | undefined;
}

export type RequestQuery =
  | { readonly by: 'requester'; readonly requester: string }
  | { readonly by: 'status'; readonly status: Status; readonly expiresBefore?: string }
  /** Newest first; `createdSince` bounds the history read (holders of access are at most a day old). */
  | { readonly by: 'principal'; readonly principal: string; readonly createdSince?: string }
  /** Every request created at or after `since`, in no particular order (a scan: reviews only, never per request). */
  | { readonly by: 'createdSince'; readonly since: string };

/** The mutable projection of the log, for lists and indexes. Writes are guarded by seq. */
export interface RequestStore {
  /** Writes the state unless the store already holds a newer seq for the request. */
  save(request: AccessRequest): Promise<void>;
  get(id: string): Promise<StoredRequest | undefined>;
  setTaskToken(id: string, kind: TaskTokenKind, token: string): Promise<void>;
  query(query: RequestQuery, page: PageRequest): Promise<Page<AccessRequest>>;
}

/** IAM, idempotent in both directions: re-applying or removing what is gone succeeds. */
export interface IamGateway {
  apply(change: IamChange): Promise<{ readonly changed: boolean }>;
  remove(change: IamChange): Promise<{ readonly changed: boolean }>;
  /** Reads IAM back: is the object of this change in place? */
  isPresent(change: IamChange): Promise<boolean>;
}

/** The Step Functions side: executions and the callback tokens they wait on. */
export interface Workflow {
  start(input: WorkflowInput): Promise<void>;
  /** Settling a token that is already settled or timed out is not an error. */
  succeed(token: string, output: Record<string, unknown>): Promise<void>;
  fail(token: string, error: string, cause: string): Promise<void>;
}

export interface WorkflowInput {
  readonly requestId: string;
  readonly autoApproved: boolean;
  /** Shaped so that TimeoutSecondsPath "$.Payload.remainingSeconds" resolves in AWS and locally. */
  readonly Payload: { readonly requestId: string; readonly remainingSeconds: number };
}

export interface Notifier {
  publish(subject: string, message: Record<string, unknown>): Promise<void>;
}

export interface CatalogSnapshot {
  readonly catalog: Catalog;
  readonly version: string;
}

export type Clock = () => Date;

/** Everything the access use cases need, passed in as one object. */
export interface AccessDeps {
  readonly audit: AuditLog;
  readonly requests: RequestStore;
  readonly workflow: Workflow;
  /** Approval requests to approvers. */
  readonly notifier: Notifier;
  /** Alerts for on-call: failed revokes and grants, anomalies. */
  readonly alerts: Notifier;
  readonly catalog: () => CatalogSnapshot;
  readonly clock: Clock;
  readonly newId: () => string;
  readonly logger?: { warn(message: string, extra?: Record<string, unknown>): void; error(message: string, extra?: Record<string, unknown>): void };
}

export interface GrantDeps extends AccessDeps {
  readonly iam: IamGateway;
}
