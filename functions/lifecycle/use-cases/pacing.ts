import { IamTransientError } from '../../access/domain/errors.js';
import type { Sleep } from '../domain/ports.js';

/**
 * Runs `fn` over `items` with at most `limit` calls in flight; results keep the input order.
 * `fn` is expected to turn its own failures into results: one throw rejects the whole map.
 */
export async function mapPool<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return results;
}

export interface RetryPolicy {
  readonly baseMs: number;
  readonly capMs: number;
  readonly maxAttempts: number;
}

/** 100 ms doubling to 5 s: twelve attempts wait up to ~30 s in all (~15 s on average). */
export const IAM_RETRY: RetryPolicy = { baseMs: 100, capMs: 5_000, maxAttempts: 12 };

export interface RetryHooks {
  readonly sleep: Sleep;
  /** In [0, 1); injectable so tests are deterministic. */
  readonly random: () => number;
  /** Awaited before every attempt (a shared rate limiter's turn). */
  readonly beforeAttempt?: () => Promise<void>;
  /** Called once per attempt, with the error when the attempt failed (for call counts). */
  readonly onAttempt?: (error?: unknown) => void;
}

/** "Full jitter" (AWS Architecture Blog, Exponential Backoff And Jitter): uniform in [0, min(cap, base·2^n)). */
export function fullJitterDelay(retry: number, policy: RetryPolicy, random: () => number): number {
  return Math.floor(random() * Math.min(policy.capMs, policy.baseMs * 2 ** retry));
}

export function isTransient(err: unknown): boolean {
  return err instanceof IamTransientError || (err as Error | undefined)?.name === 'IamTransientError';
}

/**
 * Retries IAM throttling and 5xx inside the Lambda. Elsewhere the state machine's Retry does this;
 * an offboarding or a sweep is not a state machine execution but one run over hundreds of IAM
 * objects, and giving up on the first throttle at 10 TPS would fail most of them. The calls are
 * idempotent (removing what is gone succeeds), so repeating one is safe. Other errors are thrown at once.
 */
export async function retryTransient<T>(call: () => Promise<T>, policy: RetryPolicy, hooks: RetryHooks): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      await hooks.beforeAttempt?.();
      const result = await call();
      hooks.onAttempt?.();
      return result;
    } catch (err) {
      hooks.onAttempt?.(err);
      if (!isTransient(err) || attempt >= policy.maxAttempts) throw err;
      await hooks.sleep(fullJitterDelay(attempt - 1, policy, hooks.random));
    }
  }
}

/**
 * A client-side call rate shared by all workers, learnt from IAM's answers (additive increase,
 * multiplicative decrease, as TCP and the SDK's "adaptive" retry mode do). Unlimited until the
 * first throttle; then about 90% of the rate that was getting through, creeping back up while
 * calls succeed. Per-call backoff alone lets workers starve each other: each throttled retry waits
 * longer while the quota refills unused. In the 1000-grant test at 10 TPS that took 119 s and left
 * 22 objects out of attempts; paced, it takes ~105 s (the floor is 99 s) with ~4% of calls throttled.
 */
export class AdaptiveRateLimiter {
  private rate = Number.POSITIVE_INFINITY;
  private nextStart = 0;
  private lastDecrease = Number.NEGATIVE_INFINITY;
  private readonly successes: number[] = [];

  constructor(
    private readonly now: () => number,
    private readonly sleep: Sleep,
    private readonly options: { readonly floorPerSecond: number; readonly decrease: number; readonly increasePerSecond: number } = {
      floorPerSecond: 1,
      decrease: 0.9,
      increasePerSecond: 0.25,
    },
  ) {}

  /** Calls per second currently allowed (Infinity before the first throttle). */
  get callsPerSecond(): number {
    return this.rate;
  }

  /** Waits for this caller's turn. */
  readonly acquire = async (): Promise<void> => {
    if (!Number.isFinite(this.rate)) return;
    const t = this.now();
    const start = Math.max(t, this.nextStart);
    this.nextStart = start + 1000 / this.rate;
    if (start > t) await this.sleep(start - t);
  };

  /** Feeds the outcome of one call back; pass it as `onAttempt`. */
  readonly observe = (error?: unknown): void => {
    const t = this.now();
    while (this.successes.length > 0 && this.successes[0]! <= t - 1000) this.successes.shift();
    if (error === undefined) {
      this.successes.push(t);
      if (Number.isFinite(this.rate)) this.rate += this.options.increasePerSecond / this.rate;
      return;
    }
    // Throttles of calls already in flight report the same overload: cut once per second at most.
    if (!isTransient(error) || t - this.lastDecrease < 1000) return;
    this.lastDecrease = t;
    const measured = Math.max(this.successes.length, this.options.floorPerSecond);
    this.rate = Math.max(this.options.floorPerSecond, Math.min(this.rate, measured) * this.options.decrease);
    this.nextStart = Math.max(this.nextStart, t + 1000 / this.rate);
  };
}

export const realSleep: Sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
