import type { GrantSpec } from '../../../functions/catalog/schema.js';
import { IamTransientError } from '../../../functions/access/domain/errors.js';
import { type IamChange, planGrant, type PrincipalRef } from '../../../functions/access/domain/grant-plan.js';
import { recordGrant } from '../../../functions/access/domain/lifecycle.js';
import type { IamGateway } from '../../../functions/access/domain/ports.js';
import type { AccessRequest } from '../../../functions/access/domain/types.js';
import { sealDraft } from '../../../functions/access/use-cases/commit.js';
import type { PrincipalVerifier } from '../../../functions/lifecycle/domain/ports.js';
import { CATALOG_VERSION } from '../../helpers/catalog.js';
import { iamObjectKey, type TestClock, type TestDeps } from '../../helpers/memory.js';
import { requestState } from '../../helpers/requests.js';

/**
 * Time that only moves when every worker waits: `sleep` registers a timer on the test clock, and
 * `run` advances the clock to the earliest timer whenever nothing else can run. A late advance
 * only makes the measured time longer, never shorter, so durations measured this way are honest.
 * It relies on the code under test doing nothing but microtasks while timers are pending (true
 * of ThrottledIam below).
 */
export class VirtualTime {
  private timers: { at: number; resolve: () => void }[] = [];
  sleeps = 0;

  constructor(private readonly clock: TestClock) {}

  readonly sleep = (ms: number): Promise<void> => {
    this.sleeps++;
    return new Promise((resolve) => this.timers.push({ at: this.clock.now().getTime() + ms, resolve }));
  };

  async run<T>(work: Promise<T>): Promise<T> {
    let done = false;
    work.then(
      () => (done = true),
      () => (done = true),
    );
    while (!done) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (done || this.timers.length === 0) continue;
      const at = Math.min(...this.timers.map((t) => t.at));
      if (at > this.clock.now().getTime()) this.clock.set(new Date(at).toISOString());
      const due = this.timers.filter((t) => t.at <= at);
      this.timers = this.timers.filter((t) => t.at > at);
      for (const t of due) t.resolve();
    }
    return work;
  }
}

/** A deterministic random source (mulberry32), so jitter is the same on every run. */
export function seededRandom(seed = 42): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * IAM that refuses more than `tps` calls in any one-second window of the given clock, with
 * IamTransientError (what the real gateway turns Throttling into). Every call counts, refused or
 * not, read-backs included. Microtasks only: no timers, no setImmediate.
 */
export class ThrottledIam implements IamGateway, PrincipalVerifier {
  readonly objects = new Set<string>();
  /** Every request IAM received, refused ones included. */
  calls = 0;
  refused = 0;
  /** Operations asked of the gateway (a read-back of one principal is one, however many lists it makes). */
  operations = 0;
  private readonly accepted: number[] = [];

  constructor(
    private readonly now: () => Date,
    readonly tps = 10,
  ) {}

  private take(): void {
    this.calls++;
    const t = this.now().getTime();
    while (this.accepted.length > 0 && this.accepted[0]! <= t - 1000) this.accepted.shift();
    if (this.accepted.length >= this.tps) {
      this.refused++;
      throw new IamTransientError('Throttling: Rate exceeded');
    }
    this.accepted.push(t);
  }

  has(key: string): boolean {
    return this.objects.has(key);
  }

  keysOf(principal: PrincipalRef): string[] {
    return [...this.objects].filter((k) => k.startsWith(`${principal.type}/${principal.name}|`));
  }

  async apply(change: IamChange): Promise<{ changed: boolean }> {
    this.take();
    const key = iamObjectKey(change);
    const changed = !this.objects.has(key);
    this.objects.add(key);
    return { changed };
  }

  async remove(change: IamChange): Promise<{ changed: boolean }> {
    this.operations++;
    this.take();
    return { changed: this.objects.delete(iamObjectKey(change)) };
  }

  async isPresent(change: IamChange): Promise<boolean> {
    this.take();
    return this.objects.has(iamObjectKey(change));
  }

  /** One list call per kind of object, as the SDK verifier makes (one page each). */
  async stillPresent(_principal: PrincipalRef, changes: readonly IamChange[]): Promise<IamChange[]> {
    this.operations++;
    for (const _kind of new Set(changes.map((c) => c.kind))) this.take();
    return changes.filter((c) => this.objects.has(iamObjectKey(c)));
  }
}

export interface Seed {
  readonly id: string;
  readonly principal: string;
  readonly grant: GrantSpec;
  readonly entitlement?: string;
  readonly status: 'PENDING_APPROVAL' | 'APPROVED' | 'ACTIVE';
  /** For ACTIVE: seconds from now until expiry (default 2 h). */
  readonly expiresInSeconds?: number;
  readonly tokens?: { readonly approval?: string; readonly expiry?: string };
}

/**
 * Writes a request straight into the log (a valid chain), the projection and IAM, as if its
 * execution had brought it this far — for scenes with hundreds of grants, or an execution that died.
 */
export async function seed(deps: TestDeps, iam: { readonly objects: Set<string> }, s: Seed): Promise<AccessRequest> {
  const now = deps.clock();
  const pending = s.status === 'PENDING_APPROVAL';
  const requested = requestState({
    id: s.id,
    status: pending ? 'PENDING_APPROVAL' : 'APPROVED',
    requester: s.principal,
    principal: s.principal,
    entitlement: s.entitlement ?? (s.grant.type === 'inline-policy' ? 'prod-admin' : s.grant.type === 'group' ? 'billing' : 'prod-read'),
    grant: s.grant,
    createdAt: now.toISOString(),
    approvalDeadline: pending ? new Date(now.getTime() + 3600_000).toISOString() : null,
    requiredApprovals: pending ? 1 : 0,
    autoApproved: !pending,
  });
  const first = sealDraft(s.id, { action: 'REQUESTED', actor: s.principal, detail: {}, state: requested }, undefined, now, CATALOG_VERSION);
  await deps.audit.append(first);
  let last = first;
  if (s.status === 'ACTIVE') {
    const expiresAt = new Date(now.getTime() + (s.expiresInSeconds ?? 7200) * 1000);
    const granted = sealDraft(s.id, recordGrant(first.state!, now, expiresAt, {}), first, now, CATALOG_VERSION);
    await deps.audit.append(granted);
    iam.objects.add(iamObjectKey(planGrant(granted.state!, expiresAt.toISOString())));
    last = granted;
  }
  await deps.requests.save(last.state!);
  if (s.tokens?.approval) await deps.requests.setTaskToken(s.id, 'approval', s.tokens.approval);
  if (s.tokens?.expiry) await deps.requests.setTaskToken(s.id, 'expiry', s.tokens.expiry);
  return last.state!;
}
