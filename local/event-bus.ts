import { randomUUID } from 'node:crypto';

/** An EventBridge event as targets receive it. */
export interface BusEvent {
  readonly version: '0';
  readonly id: string;
  readonly 'detail-type': string;
  readonly source: string;
  readonly account: string;
  readonly time: string;
  readonly region: string;
  readonly resources: string[];
  readonly detail: Record<string, unknown>;
}

export interface LocalRule {
  readonly name: string;
  readonly matches: (event: BusEvent) => boolean;
  readonly target: (event: BusEvent) => Promise<unknown>;
}

export interface Delivery {
  readonly rule: string;
  readonly eventId: string;
  readonly ok: boolean;
  /** What the target returned (a Lambda's response). */
  readonly result?: unknown;
  readonly error?: string;
}

/**
 * The EventBridge buses of local mode (default and `grantline`): rules with a matcher and one
 * target each, delivered asynchronously like EventBridge. Recent events and deliveries are kept
 * for GET /local/events.
 */
export class LocalEventBus {
  private readonly rules: LocalRule[] = [];
  private readonly pending = new Set<Promise<unknown>>();
  readonly events: BusEvent[] = [];
  readonly deliveries: Delivery[] = [];
  private readonly keep = 1_000;

  constructor(
    private readonly account: string,
    private readonly region: string,
    private readonly now: () => Date,
  ) {}

  addRule(rule: LocalRule): void {
    this.rules.push(rule);
  }

  event(source: string, detailType: string, detail: Record<string, unknown>, resources: string[] = []): BusEvent {
    return { version: '0', id: randomUUID(), 'detail-type': detailType, source, account: this.account, time: this.now().toISOString(), region: this.region, resources, detail };
  }

  /** Records the event and starts each matching target; returns the names of the matched rules. */
  put(event: BusEvent): string[] {
    return this.dispatch(event).map((d) => d.rule);
  }

  /** Like put, and resolves with this event's deliveries once every matching target has finished. */
  async deliver(event: BusEvent): Promise<Delivery[]> {
    return Promise.all(this.dispatch(event).map((d) => d.done));
  }

  private dispatch(event: BusEvent): { rule: string; done: Promise<Delivery> }[] {
    this.events.push(event);
    if (this.events.length > this.keep) this.events.splice(0, this.events.length - this.keep);
    return this.rules
      .filter((r) => r.matches(event))
      .map((rule) => {
        const done: Promise<Delivery> = rule
          .target(event)
          .then((result): Delivery => ({ rule: rule.name, eventId: event.id, ok: true, result }))
          .catch((err: unknown): Delivery => ({ rule: rule.name, eventId: event.id, ok: false, error: err instanceof Error ? `${err.name}: ${err.message}` : String(err) }))
          .then((d) => {
            this.record(d);
            this.pending.delete(done);
            return d;
          });
        this.pending.add(done);
        return { rule: rule.name, done };
      });
  }

  /** Resolves when every delivery started so far has finished (tests, shutdown). */
  async drain(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  private record(d: Delivery): void {
    this.deliveries.push(d);
    if (this.deliveries.length > this.keep) this.deliveries.splice(0, this.deliveries.length - this.keep);
  }
}
