import { marshall } from '@aws-sdk/util-dynamodb';
import type { AuditLog } from '../functions/access/domain/ports.js';
import type { AuditRecord } from '../functions/access/domain/types.js';
import { OFFBOARD_DETAIL_TYPE } from '../functions/lifecycle/schemas/events.js';
import { WATCHED_IAM_EVENTS } from '../functions/monitoring/domain/anomaly.js';
import { AUDIT_EVENT_DETAIL_TYPE, AUDIT_EVENT_SOURCE } from '../functions/monitoring/domain/audit-event.js';
import type { EventPublisher } from '../functions/monitoring/domain/ports.js';
import { EXECUTION_STATUS_CHANGE, FAILED_EXECUTION_STATUSES } from '../functions/monitoring/schemas/execution.js';
import { CLOUDTRAIL_DETAIL_TYPE } from './cloudtrail.js';
import type { ScaledClock } from './clock.js';
import { type BusEvent, LocalEventBus } from './event-bus.js';
import { LOCAL_ACCOUNT, LOCAL_REGION, localFunction, track } from './lambda.js';
import type { ExecutionEndEvent } from './sfn/types.js';

/** The handlers of the monitoring and lifecycle functions, as deployed (same entries as infra/). */
export const MONITORING_FUNCTIONS = {
  iamChange: 'functions/monitoring/handlers/iam-change.event.ts',
  executionEnded: 'functions/monitoring/handlers/execution-ended.event.ts',
  review: 'functions/monitoring/handlers/review.schedule.ts',
  auditFeed: 'functions/monitoring/handlers/audit-feed.enrich.ts',
  sweeper: 'functions/lifecycle/handlers/sweeper.schedule.ts',
  offboard: 'functions/lifecycle/handlers/offboard.event.ts',
} as const;

/** What the EventBridge schedules do in AWS (infra): every 5 minutes and daily, here divided by the time scale. */
export const SCHEDULES = { sweepMinutes: 5, reviewMinutes: 24 * 60 } as const;

/** Node fires longer timers at once (TimeoutOverflowWarning): a slowed-down clock waits this long at most. */
const MAX_TIMER_MS = 2 ** 31 - 1;

const watched: ReadonlySet<string> = new Set(WATCHED_IAM_EVENTS);
const failedStatuses: ReadonlySet<string> = new Set(FAILED_EXECUTION_STATUSES);

export interface LocalMonitoringOptions {
  readonly clock: ScaledClock;
  readonly stateMachineArn: string;
  /** false: no timers; sweeps and reviews run on demand only (tests that need a quiet instance). */
  readonly schedules: boolean;
}

export interface ScheduledRun {
  readonly name: string;
  readonly at: string;
  readonly ok: boolean;
  readonly result?: unknown;
  readonly error?: string;
}

/**
 * EventBridge and the scheduled functions of local mode:
 * - the default bus, with the CloudTrail IAM rule (→ anomaly function), the in-window watch rule
 *   (other services' CloudTrail events → the same function) and the Step Functions status rule;
 * - the `grantline` bus, with the offboarding rule and the audit feed (every appended audit record
 *   goes through the Pipe's enrichment handler onto it, as the DynamoDB stream does in AWS);
 * - the sweeper every 5 minutes and the review daily, both time-scaled.
 */
export class LocalMonitoring {
  readonly defaultBus: LocalEventBus;
  readonly grantlineBus: LocalEventBus;
  readonly runs: ScheduledRun[] = [];
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly running = new Map<string, Promise<unknown>>();
  private fns!: Record<keyof typeof MONITORING_FUNCTIONS, (event: unknown) => Promise<unknown>>;
  private stopped = false;

  private constructor(private readonly options: LocalMonitoringOptions) {
    const now = () => options.clock.now();
    this.defaultBus = new LocalEventBus(LOCAL_ACCOUNT, LOCAL_REGION, now);
    this.grantlineBus = new LocalEventBus(LOCAL_ACCOUNT, LOCAL_REGION, now);
  }

  static async start(options: LocalMonitoringOptions): Promise<LocalMonitoring> {
    const m = new LocalMonitoring(options);
    const entries = Object.entries(MONITORING_FUNCTIONS) as [keyof typeof MONITORING_FUNCTIONS, string][];
    const timeouts: Partial<Record<keyof typeof MONITORING_FUNCTIONS, number>> = { sweeper: 240_000, review: 900_000, offboard: 900_000 };
    m.fns = Object.fromEntries(
      await Promise.all(entries.map(async ([key, entry]) => [key, await localFunction(entry, `grantline-${key}`, timeouts[key])] as const)),
    ) as LocalMonitoring['fns'];
    m.addRules();
    if (options.schedules) {
      const scale = options.clock.scale;
      m.every('sweeper', (SCHEDULES.sweepMinutes * 60_000) / scale, () => m.sweep());
      m.every('review', (SCHEDULES.reviewMinutes * 60_000) / scale, () => m.review());
    }
    return m;
  }

  private addRules(): void {
    const isCloudTrail = (e: BusEvent) => e['detail-type'] === CLOUDTRAIL_DETAIL_TYPE;
    const eventName = (e: BusEvent) => String(e.detail['eventName'] ?? '');
    this.defaultBus.addRule({
      name: 'iam-changes',
      matches: (e) => isCloudTrail(e) && e.source === 'aws.iam' && e.detail['eventSource'] === 'iam.amazonaws.com' && watched.has(eventName(e)),
      target: (e) => this.fns.iamChange(e),
    });
    this.defaultBus.addRule({
      name: 'in-window-watch',
      matches: (e) => isCloudTrail(e) && e.source.startsWith('aws.') && e.source !== 'aws.iam' && e.detail['readOnly'] !== true,
      target: (e) => this.fns.iamChange(e),
    });
    this.defaultBus.addRule({
      name: 'execution-ended',
      matches: (e) =>
        e.source === 'aws.states' &&
        e['detail-type'] === EXECUTION_STATUS_CHANGE &&
        e.detail['stateMachineArn'] === this.options.stateMachineArn &&
        failedStatuses.has(String(e.detail['status'])),
      target: (e) => this.fns.executionEnded(e),
    });
    this.grantlineBus.addRule({
      name: 'offboard-principal',
      matches: (e) => e['detail-type'] === OFFBOARD_DETAIL_TYPE,
      target: (e) => this.fns.offboard(e),
    });
  }

  /** Runs `run` every `ms`, never two at once; a failed run is recorded, the schedule goes on. */
  private every(name: string, ms: number, run: () => Promise<unknown>): void {
    const timer = setInterval(() => {
      if (this.stopped || this.running.has(name)) return;
      void run().catch(() => undefined);
    }, Math.min(MAX_TIMER_MS, Math.max(50, ms)));
    timer.unref();
    this.timers.push(timer);
  }

  private async once(name: string, run: () => Promise<unknown>): Promise<unknown> {
    const already = this.running.get(name);
    if (already) return already;
    const at = this.options.clock.now().toISOString();
    const p = track(run())
      .then((result) => {
        this.record({ name, at, ok: true, result });
        return result;
      })
      .catch((err: unknown) => {
        this.record({ name, at, ok: false, error: err instanceof Error ? `${err.name}: ${err.message}` : String(err) });
        throw err;
      })
      .finally(() => this.running.delete(name));
    this.running.set(name, p);
    return p;
  }

  private record(run: ScheduledRun): void {
    this.runs.push(run);
    if (this.runs.length > 200) this.runs.splice(0, this.runs.length - 200);
  }

  /** The sweeper, as its schedule invokes it. */
  sweep(): Promise<unknown> {
    return this.once('sweeper', () => this.fns.sweeper(this.scheduledEvent('grantline-sweeper')));
  }

  /** The review, as its schedule invokes it (or with remediate, as an operator's direct invoke). */
  review(remediate = false): Promise<unknown> {
    return this.once('review', () => this.fns.review({ ...this.scheduledEvent('grantline-review'), ...(remediate ? { remediate } : {}) }));
  }

  private scheduledEvent(rule: string): BusEvent {
    return this.defaultBus.event('aws.events', 'Scheduled Event', {}, [`arn:aws:events:${LOCAL_REGION}:${LOCAL_ACCOUNT}:rule/${rule}`]);
  }

  /** What EventBridge emits when an execution ends. */
  executionEnded(e: ExecutionEndEvent): void {
    if (this.stopped) return;
    this.defaultBus.put(
      this.defaultBus.event(
        'aws.states',
        EXECUTION_STATUS_CHANGE,
        {
          executionArn: e.executionArn,
          stateMachineArn: e.stateMachineArn,
          name: e.name,
          status: e.status,
          startDate: e.startDate.getTime(),
          stopDate: e.stopDate.getTime(),
          input: e.input,
          output: e.output ?? null,
          error: e.error ?? null,
          cause: e.cause ?? null,
        },
        [e.executionArn],
      ),
    );
  }

  /** The review's publisher: events with source "grantline" on the grantline bus. */
  publisher(): EventPublisher {
    return {
      publish: async (detailType, detail) => {
        this.grantlineBus.put(this.grantlineBus.event(AUDIT_EVENT_SOURCE, detailType, detail));
      },
    };
  }

  /**
   * The audit log with the DynamoDB stream → Pipe → bus path of AWS: after each append, the record
   * goes through the enrichment handler as a stream INSERT and lands on the grantline bus.
   */
  auditFeed(log: AuditLog): AuditLog {
    const feed = async (record: AuditRecord) => {
      const batch = [{ eventName: 'INSERT', dynamodb: { NewImage: marshall(record, { removeUndefinedValues: true, convertClassInstanceToMap: true }) } }];
      const details = (await this.fns.auditFeed(batch)) as Record<string, unknown>[];
      for (const detail of details) this.grantlineBus.put({ ...this.grantlineBus.event(AUDIT_EVENT_SOURCE, AUDIT_EVENT_DETAIL_TYPE, detail), time: record.at });
    };
    return {
      latest: (id) => log.latest(id),
      list: (id) => log.list(id),
      ...(log.listByKind ? { listByKind: log.listByKind.bind(log) } : {}),
      append: async (record) => {
        await log.append(record);
        if (!this.stopped) void track(feed(record)).catch(() => undefined);
      },
    };
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) clearInterval(t);
    await Promise.allSettled([...this.running.values()]);
    await this.defaultBus.drain();
    await this.grantlineBus.drain();
  }
}
