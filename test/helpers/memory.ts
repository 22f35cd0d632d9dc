import { ConcurrentWriteError, ValidationError } from '../../functions/access/domain/errors.js';
import { type IamChange, iamObjectKey } from '../../functions/access/domain/grant-plan.js';

export { iamObjectKey };
import type {
  AuditLog,
  GrantDeps,
  IamGateway,
  Notifier,
  Page,
  PageRequest,
  RequestQuery,
  RequestStore,
  StoredRequest,
  TaskTokenKind,
  Workflow,
  WorkflowInput,
} from '../../functions/access/domain/ports.js';
import type { AccessRequest, AuditRecord } from '../../functions/access/domain/types.js';
import { catalogSnapshot } from './catalog.js';

/** Lets every other pending async step run, so concurrent use cases really interleave. */
const yieldToOthers = () => new Promise<void>((resolve) => setImmediate(resolve));
const copy = <T>(value: T): T => structuredClone(value);

/** The audit table: append is a conditional put on (requestId, seq), like DynamoDB's attribute_not_exists. */
export class MemoryAuditLog implements AuditLog {
  private readonly byRequest = new Map<string, AuditRecord[]>();
  /** Set to make the next append throw (e.g. a plain Error to test the 500 path). */
  failNextAppend: Error | undefined;

  async latest(requestId: string): Promise<AuditRecord | undefined> {
    await yieldToOthers();
    const records = this.byRequest.get(requestId);
    return records?.length ? copy(records[records.length - 1]!) : undefined;
  }

  async list(requestId: string): Promise<AuditRecord[]> {
    await yieldToOthers();
    return copy(this.byRequest.get(requestId) ?? []);
  }

  async append(record: AuditRecord): Promise<void> {
    await yieldToOthers();
    if (this.failNextAppend) {
      const err = this.failNextAppend;
      this.failNextAppend = undefined;
      throw err;
    }
    const records = this.byRequest.get(record.requestId) ?? [];
    if (records.some((r) => r.seq === record.seq)) {
      throw new ConcurrentWriteError(`Audit record ${record.requestId}#${record.seq} already exists`);
    }
    records.push(copy(record));
    records.sort((a, b) => a.seq - b.seq);
    this.byRequest.set(record.requestId, records);
  }

  /** Synchronous view for assertions. */
  records(requestId: string): AuditRecord[] {
    return copy(this.byRequest.get(requestId) ?? []);
  }

  actions(requestId: string): string[] {
    return this.records(requestId).map((r) => r.action);
  }
}

interface StoredItem {
  request?: AccessRequest;
  tokens: Partial<Record<TaskTokenKind, string>>;
}

export function encodeOffset(offset: number): string {
  return Buffer.from(JSON.stringify({ offset })).toString('base64url');
}

function decodeOffset(token: string | undefined): number {
  if (token === undefined) return 0;
  try {
    const { offset } = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { offset?: unknown };
    if (typeof offset === 'number' && Number.isInteger(offset) && offset >= 0) return offset;
  } catch {
    // fall through
  }
  throw new ValidationError('nextToken is not a token this API returned', 'nextToken');
}

/** The projection table: seq-guarded saves, task tokens, and the three indexes, with offset page tokens. */
export class MemoryRequestStore implements RequestStore {
  private readonly items = new Map<string, StoredItem>();
  /** Set to make every save throw (the projection is best effort; the log stays authoritative). */
  failSaves: Error | undefined;

  async save(request: AccessRequest): Promise<void> {
    await yieldToOthers();
    if (this.failSaves) throw this.failSaves;
    const item = this.items.get(request.id) ?? { tokens: {} };
    if (item.request && item.request.seq >= request.seq) return;
    this.items.set(request.id, { ...item, request: copy(request) });
  }

  async get(id: string): Promise<StoredRequest | undefined> {
    await yieldToOthers();
    const item = this.items.get(id);
    return item?.request ? { request: copy(item.request), tokens: { ...item.tokens } } : undefined;
  }

  async setTaskToken(id: string, kind: TaskTokenKind, token: string): Promise<void> {
    await yieldToOthers();
    const item = this.items.get(id) ?? { tokens: {} };
    this.items.set(id, { ...item, tokens: { ...item.tokens, [kind]: token } });
  }

  async query(query: RequestQuery, page: PageRequest): Promise<Page<AccessRequest>> {
    await yieldToOthers();
    const offset = decodeOffset(page.nextToken);
    const all = [...this.items.values()].flatMap((i) => (i.request ? [i.request] : []));
    const sortAt = (r: AccessRequest) => r.expiresAt ?? r.approvalDeadline ?? r.createdAt;
    let matches: AccessRequest[];
    switch (query.by) {
      case 'requester':
        matches = all.filter((r) => r.requester === query.requester).sort((a, b) => b.createdAt.localeCompare(a.createdAt));
        break;
      case 'principal':
        matches = all
          .filter((r) => r.principal === query.principal && (query.createdSince === undefined || r.createdAt >= query.createdSince))
          .sort((a, b) => b.createdAt.localeCompare(a.createdAt));
        break;
      case 'createdSince':
        matches = all.filter((r) => r.createdAt >= query.since).sort((a, b) => b.createdAt.localeCompare(a.createdAt));
        break;
      case 'status': {
        const { expiresBefore } = query;
        matches = all.filter((r) => r.status === query.status);
        matches =
          expiresBefore === undefined
            ? matches.sort((a, b) => sortAt(b).localeCompare(sortAt(a)))
            : matches.filter((r) => sortAt(r) < expiresBefore).sort((a, b) => sortAt(a).localeCompare(sortAt(b)));
        break;
      }
    }
    const items = matches.slice(offset, offset + page.limit).map(copy);
    const next = offset + page.limit < matches.length ? encodeOffset(offset + page.limit) : undefined;
    return { items, ...(next ? { nextToken: next } : {}) };
  }

  /** Synchronous view for assertions. */
  stored(id: string): StoredItem | undefined {
    const item = this.items.get(id);
    return item && copy(item);
  }
}

/** An error shaped like the SDK's, e.g. `sdkError('TaskDoesNotExist')`. */
export function sdkError(name: string, message = `${name} (simulated)`): Error {
  const err = new Error(message);
  err.name = name;
  return err;
}

/** Step Functions: records executions started and every token settled. */
export class FakeWorkflow implements Workflow {
  readonly starts: WorkflowInput[] = [];
  readonly succeeded: { token: string; output: Record<string, unknown> }[] = [];
  readonly failed: { token: string; error: string; cause: string }[] = [];
  /** Makes start() throw, e.g. `sdkError('StateMachineDoesNotExist')`. */
  startError: Error | undefined;
  /** Makes succeed()/fail() throw, e.g. `sdkError('TaskDoesNotExist')` for a token that timed out. */
  settleError: Error | undefined;

  async start(input: WorkflowInput): Promise<void> {
    await yieldToOthers();
    if (this.startError) throw this.startError;
    this.starts.push(copy(input));
  }

  async succeed(token: string, output: Record<string, unknown>): Promise<void> {
    await yieldToOthers();
    if (this.settleError) throw this.settleError;
    this.succeeded.push({ token, output: copy(output) });
  }

  async fail(token: string, error: string, cause: string): Promise<void> {
    await yieldToOthers();
    if (this.settleError) throw this.settleError;
    this.failed.push({ token, error, cause });
  }

  /** Every token settled, in order, whichever way. */
  get settledTokens(): string[] {
    return [...this.succeeded.map((s) => s.token), ...this.failed.map((f) => f.token)];
  }
}

type IamOperation = 'apply' | 'remove' | 'isPresent';


/** IAM as a set of (principal, object) keys; idempotent both ways, like the real gateway. */
export class MemoryIam implements IamGateway {
  readonly objects = new Set<string>();
  readonly inlineDocuments = new Map<string, IamChange>();
  readonly calls: { op: IamOperation; key: string }[] = [];
  private readonly failures: { op: IamOperation; error: Error }[] = [];
  /** When true, apply() reports success but nothing lands (read-back verification must catch it). */
  dropWrites = false;

  /** The next call of `op` throws `error` (queue several to fail several calls). */
  failNext(op: IamOperation, error: Error): this {
    this.failures.push({ op, error });
    return this;
  }

  has(key: string): boolean {
    return this.objects.has(key);
  }

  private maybeFail(op: IamOperation, key: string): void {
    this.calls.push({ op, key });
    const i = this.failures.findIndex((f) => f.op === op);
    if (i >= 0) throw this.failures.splice(i, 1)[0]!.error;
  }

  async apply(change: IamChange): Promise<{ changed: boolean }> {
    await yieldToOthers();
    const key = iamObjectKey(change);
    this.maybeFail('apply', key);
    if (this.dropWrites) return { changed: true };
    if (change.kind === 'inline-policy') this.inlineDocuments.set(key, copy(change));
    const changed = !this.objects.has(key) || change.kind === 'inline-policy';
    this.objects.add(key);
    return { changed };
  }

  async remove(change: IamChange): Promise<{ changed: boolean }> {
    await yieldToOthers();
    const key = iamObjectKey(change);
    this.maybeFail('remove', key);
    this.inlineDocuments.delete(key);
    return { changed: this.objects.delete(key) };
  }

  async isPresent(change: IamChange): Promise<boolean> {
    await yieldToOthers();
    const key = iamObjectKey(change);
    this.maybeFail('isPresent', key);
    return this.objects.has(key);
  }
}

export class RecordingNotifier implements Notifier {
  readonly messages: { subject: string; message: Record<string, unknown> }[] = [];
  async publish(subject: string, message: Record<string, unknown>): Promise<void> {
    this.messages.push({ subject, message: copy(message) });
  }
}

/** A clock that only moves when told to. Default start: Tuesday 2030-01-15 10:00 UTC (11:00 in Berlin). */
export class TestClock {
  private ms: number;
  constructor(start = '2030-01-15T10:00:00.000Z') {
    this.ms = Date.parse(start);
  }
  readonly now = (): Date => new Date(this.ms);
  advance(seconds: number): this {
    this.ms += seconds * 1000;
    return this;
  }
  set(iso: string): this {
    this.ms = Date.parse(iso);
    return this;
  }
}

export interface TestDeps extends GrantDeps {
  readonly audit: MemoryAuditLog;
  readonly requests: MemoryRequestStore;
  readonly workflow: FakeWorkflow;
  readonly notifier: RecordingNotifier;
  readonly alerts: RecordingNotifier;
  readonly iam: MemoryIam;
  readonly time: TestClock;
  readonly warnings: { message: string; extra?: Record<string, unknown> }[];
}

/** Every port as an in-memory fake; pass overrides to swap one (e.g. a throwing adapter). */
export function testDeps(overrides: Partial<TestDeps> = {}): TestDeps {
  const time = overrides.time ?? new TestClock();
  const warnings: TestDeps['warnings'] = overrides.warnings ?? [];
  let n = 0;
  const snapshot = catalogSnapshot();
  return {
    audit: new MemoryAuditLog(),
    requests: new MemoryRequestStore(),
    workflow: new FakeWorkflow(),
    notifier: new RecordingNotifier(),
    alerts: new RecordingNotifier(),
    iam: new MemoryIam(),
    catalog: () => snapshot,
    clock: time.now,
    newId: () => `req-${String(++n).padStart(4, '0')}`,
    logger: {
      warn: (message, extra) => warnings.push({ message, ...(extra ? { extra } : {}) }),
      error: (message, extra) => warnings.push({ message, ...(extra ? { extra } : {}) }),
    },
    ...overrides,
    time,
    warnings,
  };
}
