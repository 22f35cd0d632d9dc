import { createHash } from 'node:crypto';
import type { AuditRecord } from './types.js';

export const GENESIS_HASH = '0'.repeat(64);

/** JSON with sorted keys and no undefined members, so the hash survives a round trip through DynamoDB. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : canonicalJson(v))).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

/** The hash covers every field of the record except itself, including prevHash. */
export function hashRecord(record: Omit<AuditRecord, 'hash'>): string {
  return createHash('sha256').update(canonicalJson(record)).digest('hex');
}

export function seal(record: Omit<AuditRecord, 'hash'>): AuditRecord {
  return { ...record, hash: hashRecord(record) };
}

export interface ChainVerdict {
  readonly verified: boolean;
  readonly problems: string[];
}

/** Checks hashes, links and a gap-free sequence starting at 1. */
export function verifyChain(records: readonly AuditRecord[]): ChainVerdict {
  const problems: string[] = [];
  if (records.length === 0) problems.push('no audit records');
  let prevHash = GENESIS_HASH;
  records.forEach((record, i) => {
    const { hash, ...rest } = record;
    if (record.seq !== i + 1) problems.push(`seq ${record.seq}: expected seq ${i + 1}`);
    if (record.prevHash !== prevHash) problems.push(`seq ${record.seq}: prevHash does not match the previous record`);
    if (hashRecord(rest) !== hash) problems.push(`seq ${record.seq}: hash does not match the record's content`);
    prevHash = hash;
  });
  return { verified: problems.length === 0, problems };
}
