import { describe, expect, it } from 'vitest';
import { GENESIS_HASH, canonicalJson, hashRecord, seal, verifyChain } from '../../../functions/access/domain/audit-chain.js';
import type { AuditRecord } from '../../../functions/access/domain/types.js';
import { sealDraft } from '../../../functions/access/use-cases/commit.js';
import { requestState } from '../../helpers/requests.js';

const T0 = new Date('2030-01-15T10:00:00.000Z');

/** A three-record chain: requested, approved, granted. */
function chain(): AuditRecord[] {
  const first = sealDraft('req-1', { action: 'REQUESTED', actor: 'alice', detail: {}, state: requestState() }, undefined, T0, 'v1');
  const second = sealDraft(
    'req-1',
    { action: 'APPROVED', actor: 'bob', reason: 'ok', detail: { approvals: 1 }, state: requestState({ status: 'APPROVED' }) },
    first,
    T0,
    'v1',
  );
  const third = sealDraft(
    'req-1',
    { action: 'GRANTED', actor: 'grantline:system', detail: { changed: true }, state: requestState({ status: 'ACTIVE' }) },
    second,
    T0,
    'v1',
  );
  return [first, second, third];
}

/** Changes one field without re-sealing, as a tamperer with table access would. */
const tamper = (records: AuditRecord[], index: number, patch: Partial<AuditRecord>) =>
  records.map((r, i) => (i === index ? { ...r, ...patch } : r));

describe('verifyChain', () => {
  it('verifies an untouched chain', () => {
    expect(verifyChain(chain())).toEqual({ verified: true, problems: [] });
  });

  it('links each record to the one before and numbers them from 1', () => {
    const [first, second, third] = chain();

    expect(first!.prevHash).toBe(GENESIS_HASH);
    expect(second!.prevHash).toBe(first!.hash);
    expect(third!.prevHash).toBe(second!.hash);
    expect([first!.seq, second!.seq, third!.seq]).toEqual([1, 2, 3]);
    expect(third!.state?.seq).toBe(3);
  });

  it('detects a changed state', () => {
    const records = chain();

    const verdict = verifyChain(tamper(records, 1, { state: { ...records[1]!.state!, status: 'DENIED' } }));

    expect(verdict.verified).toBe(false);
    expect(verdict.problems).toEqual(['seq 2: hash does not match the record\'s content']);
  });

  it('detects a changed detail', () => {
    const verdict = verifyChain(tamper(chain(), 2, { detail: { changed: false } }));

    expect(verdict.verified).toBe(false);
    expect(verdict.problems[0]).toMatch(/^seq 3: hash/);
  });

  it.each([
    ['actor', { actor: 'mallory' }],
    ['action', { action: 'DENIED' as const }],
    ['reason', { reason: 'because' }],
    ['at', { at: '2020-01-01T00:00:00.000Z' }],
    ['catalogVersion', { catalogVersion: 'v0' }],
  ])('detects a changed %s', (_field, patch) => {
    expect(verifyChain(tamper(chain(), 1, patch)).verified).toBe(false);
  });

  it('detects a removed record as a seq gap', () => {
    const [first, , third] = chain();

    const verdict = verifyChain([first!, third!]);

    expect(verdict.verified).toBe(false);
    expect(verdict.problems).toContain('seq 3: expected seq 2');
    expect(verdict.problems).toContain('seq 3: prevHash does not match the previous record');
  });

  it('detects a broken prevHash even when the record was re-sealed', () => {
    // Prepare: the tamperer rewrites the link and recomputes the record's own hash
    const records = chain();
    const { hash: _hash, ...rest } = { ...records[2]!, prevHash: 'f'.repeat(64) };
    const resealed = seal(rest);

    // Act
    const verdict = verifyChain([records[0]!, records[1]!, resealed]);

    // Assess
    expect(verdict.problems).toEqual(['seq 3: prevHash does not match the previous record']);
  });

  it('detects a renumbered record', () => {
    expect(verifyChain(tamper(chain(), 1, { seq: 5 })).verified).toBe(false);
  });

  it('refuses an empty log', () => {
    expect(verifyChain([])).toEqual({ verified: false, problems: ['no audit records'] });
  });
});

describe('canonicalJson', () => {
  it('sorts keys and drops undefined members, so a DynamoDB round trip keeps the hash', () => {
    expect(canonicalJson({ b: 1, a: { d: undefined, c: [1, 'x'] } })).toBe('{"a":{"c":[1,"x"]},"b":1}');
  });

  it('hashes equal content equally whatever the key order', () => {
    const record = chain()[0]!;
    const { hash, ...rest } = record;
    const reordered = Object.fromEntries(Object.entries(rest).reverse()) as typeof rest;

    expect(hashRecord(reordered)).toBe(hash);
  });
});
