/**
 * A token bucket: `capacity` calls at once, refilled at `ratePerSecond`. Time comes from `now`
 * (milliseconds) so tests can drive refills with a fake clock. Share one bucket between several
 * clients to model IAM's account-wide rate limit.
 */
export class TokenBucket {
  #tokens: number;
  #last: number | undefined;

  constructor(
    public ratePerSecond: number,
    public capacity: number = ratePerSecond,
    private readonly now: () => number = Date.now,
  ) {
    if (!(ratePerSecond > 0) || !(capacity >= 1)) {
      throw new RangeError('TokenBucket needs ratePerSecond > 0 and capacity >= 1');
    }
    this.#tokens = capacity;
  }

  /** Changes the limit from now on (benchmarks seed unthrottled, then throttle); the bucket starts full. */
  setRate(ratePerSecond: number, capacity: number = ratePerSecond): void {
    if (!(ratePerSecond > 0) || !(capacity >= 1)) throw new RangeError('TokenBucket needs ratePerSecond > 0 and capacity >= 1');
    this.ratePerSecond = ratePerSecond;
    this.capacity = capacity;
    this.#tokens = capacity;
    this.#last = undefined;
  }

  /** Takes one token if there is one; false means the call is throttled. */
  tryTake(): boolean {
    const now = this.now();
    if (this.#last !== undefined && now > this.#last) {
      this.#tokens = Math.min(this.capacity, this.#tokens + ((now - this.#last) / 1000) * this.ratePerSecond);
    }
    // A clock that steps backwards must not mint tokens later.
    this.#last = this.#last === undefined ? now : Math.max(this.#last, now);
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }
}
