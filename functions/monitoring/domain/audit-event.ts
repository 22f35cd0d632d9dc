import type { AuditRecord } from '../../access/domain/types.js';

export const AUDIT_EVENT_SOURCE = 'grantline';
export const AUDIT_EVENT_DETAIL_TYPE = 'Grantline Audit Record';
/** Bumped when a field of the event detail changes meaning or goes away (adding fields does not bump it). */
export const AUDIT_EVENT_SCHEMA_VERSION = 1;

/**
 * EventBridge events stop at 256 KB. A larger record `detail` (a long review report) is replaced by
 * a stub; the full record stays in the audit table, and its hash is in the event either way.
 */
export const MAX_EVENT_DETAIL_BYTES = 200_000;

export interface AuditEvent {
  readonly source: typeof AUDIT_EVENT_SOURCE;
  readonly detailType: typeof AUDIT_EVENT_DETAIL_TYPE;
  /** The record's `at`: when the change was committed. */
  readonly time: string;
  readonly detail: AuditEventDetail;
}

export interface AuditEventDetail {
  readonly schemaVersion: number;
  readonly requestId: string;
  readonly seq: number;
  readonly at: string;
  readonly actor: string;
  readonly action: string;
  readonly reason: string | null;
  readonly kind: string | null;
  readonly catalogVersion: string;
  /** The request's status after this record; null for records that are not part of a request (kind set). */
  readonly status: string | null;
  readonly principal: string | null;
  readonly entitlement: string | null;
  readonly detail: Record<string, unknown>;
  readonly detailTruncated: boolean;
  readonly prevHash: string;
  readonly hash: string;
}

/** One audit record as the SIEM-facing event on the `grantline` bus. Pure: the Pipe enrichment and local mode both use it. */
export function auditRecordToEvent(record: AuditRecord): AuditEvent {
  const bytes = Buffer.byteLength(JSON.stringify(record.detail ?? {}), 'utf8');
  const truncated = bytes > MAX_EVENT_DETAIL_BYTES;
  const summary = (record.detail as { summary?: unknown } | undefined)?.summary;
  return {
    source: AUDIT_EVENT_SOURCE,
    detailType: AUDIT_EVENT_DETAIL_TYPE,
    time: record.at,
    detail: {
      schemaVersion: AUDIT_EVENT_SCHEMA_VERSION,
      requestId: record.requestId,
      seq: record.seq,
      at: record.at,
      actor: record.actor,
      action: record.action,
      reason: record.reason ?? null,
      kind: record.kind ?? null,
      catalogVersion: record.catalogVersion,
      status: record.state?.status ?? null,
      principal: record.state?.principal ?? null,
      entitlement: record.state?.entitlement ?? null,
      detail: truncated ? { truncated: true, bytes, ...(summary !== undefined ? { summary } : {}) } : (record.detail ?? {}),
      detailTruncated: truncated,
      prevHash: record.prevHash,
      hash: record.hash,
    },
  };
}
