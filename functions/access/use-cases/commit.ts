import { GENESIS_HASH, seal } from '../domain/audit-chain.js';
import { ConcurrentWriteError, NotFoundError } from '../domain/errors.js';
import type { AccessDeps } from '../domain/ports.js';
import type { AccessRequest, AuditDraft, AuditRecord } from '../domain/types.js';

const MAX_ATTEMPTS = 8;

/** Seals a draft as the next record after `prev` (or as the first record). */
export function sealDraft(requestId: string, draft: AuditDraft, prev: AuditRecord | undefined, at: Date, catalogVersion: string): AuditRecord {
  const seq = (prev?.seq ?? 0) + 1;
  return seal({
    requestId,
    seq,
    at: at.toISOString(),
    actor: draft.actor,
    action: draft.action,
    ...(draft.reason !== undefined ? { reason: draft.reason } : {}),
    detail: draft.detail,
    catalogVersion,
    state: { ...draft.state, seq },
    prevHash: prev?.hash ?? GENESIS_HASH,
  });
}

/**
 * Read the latest state, decide, append at seq+1. A lost race re-reads and decides again, so
 * the loser of two approvals sees the winner's record (and the domain turns it into a 409).
 * The projection is written after the commit; if that write fails, readers repair from the log.
 */
export async function commit(
  deps: Pick<AccessDeps, 'audit' | 'requests' | 'clock' | 'catalog' | 'logger'>,
  requestId: string,
  decide: (state: AccessRequest) => AuditDraft | null,
): Promise<{ record: AuditRecord | null; state: AccessRequest }> {
  for (let attempt = 1; ; attempt++) {
    const prev = await deps.audit.latest(requestId);
    if (!prev?.state) throw new NotFoundError(`No request ${requestId}`);
    const draft = decide(prev.state);
    if (draft === null) return { record: null, state: prev.state };
    const record = sealDraft(requestId, draft, prev, deps.clock(), deps.catalog().version);
    try {
      await deps.audit.append(record);
    } catch (err) {
      if (err instanceof ConcurrentWriteError && attempt < MAX_ATTEMPTS) continue;
      throw err;
    }
    await project(deps, record.state!);
    return { record, state: record.state! };
  }
}

/** Best effort: a failed projection write is logged, never turned into a failed decision. */
export async function project(deps: Pick<AccessDeps, 'requests' | 'logger'>, state: AccessRequest): Promise<void> {
  try {
    await deps.requests.save(state);
  } catch (err) {
    deps.logger?.warn('projection write failed; the log stays authoritative', { requestId: state.id, seq: state.seq, error: String(err) });
  }
}
