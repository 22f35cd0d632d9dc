/** setTimeout fires at once for delays above 2^31-1 ms (~24.8 days); longer waits re-arm. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export type Cancel = () => void;

export function setLongTimeout(callback: () => void, ms: number): Cancel {
  let handle: NodeJS.Timeout;
  const arm = (remaining: number): void => {
    handle = setTimeout(() => (remaining > MAX_TIMER_MS ? arm(remaining - MAX_TIMER_MS) : callback()), Math.min(remaining, MAX_TIMER_MS));
  };
  arm(Math.max(0, ms));
  return () => clearTimeout(handle);
}

/**
 * One run of a Task (or emulated Wait) state: settles exactly once, by its result, an error, a
 * timer, or the end of its execution; settling clears its timers so nothing outlives it.
 */
export class TaskAttempt {
  readonly promise: Promise<unknown>;
  #resolve!: (value: unknown) => void;
  #reject!: (error: unknown) => void;
  #settled = false;
  readonly #cleanups = new Set<() => void>();

  constructor() {
    this.promise = new Promise((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
  }

  get settled(): boolean {
    return this.#settled;
  }

  succeed(value: unknown): boolean {
    if (!this.#settle()) return false;
    this.#resolve(value);
    return true;
  }

  fail(error: unknown): boolean {
    if (!this.#settle()) return false;
    this.#reject(error);
    return true;
  }

  /** Runs `callback` after `ms` unless the attempt settles first; the returned function cancels it. */
  after(ms: number, callback: () => void): Cancel {
    if (this.#settled) return () => undefined;
    const cancelTimer = setLongTimeout(() => {
      this.#cleanups.delete(cancelTimer);
      callback();
    }, ms);
    this.#cleanups.add(cancelTimer);
    return () => {
      this.#cleanups.delete(cancelTimer);
      cancelTimer();
    };
  }

  onSettled(callback: () => void): void {
    if (this.#settled) callback();
    else this.#cleanups.add(callback);
  }

  #settle(): boolean {
    if (this.#settled) return false;
    this.#settled = true;
    for (const cleanup of this.#cleanups) cleanup();
    this.#cleanups.clear();
    return true;
  }
}
