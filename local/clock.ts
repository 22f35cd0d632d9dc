import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Local time runs `scale` times faster than the wall clock, from an anchor. Every timestamp in the
 * data, the IAM time fence and the waits use it, so a PT1H grant at scale 120 expires after 30 s and
 * its record still says one hour. With a data dir the anchor is kept, so time that passed while
 * Grantline was down counts (scaled) too.
 */
export class ScaledClock {
  private constructor(
    readonly scale: number,
    private readonly anchorReal: number,
    private readonly anchorVirtual: number,
  ) {}

  static start(scale: number, dataDir?: string): ScaledClock {
    const realNow = Date.now();
    const file = dataDir ? join(dataDir, 'clock.json') : undefined;
    if (file && existsSync(file)) {
      const saved = JSON.parse(readFileSync(file, 'utf8')) as { scale: number; anchorReal: number; anchorVirtual: number };
      const resumed = new ScaledClock(saved.scale, saved.anchorReal, saved.anchorVirtual);
      if (saved.scale === scale) return resumed;
      // A new scale starts from the virtual time reached so far; time never runs backwards.
      const clock = new ScaledClock(scale, realNow, resumed.now().getTime());
      clock.save(file);
      return clock;
    }
    const clock = new ScaledClock(scale, realNow, realNow);
    if (file) clock.save(file);
    return clock;
  }

  now(): Date {
    return new Date(this.anchorVirtual + (Date.now() - this.anchorReal) * this.scale);
  }

  /** Wall-clock milliseconds for a virtual duration. */
  realMs(virtualMs: number): number {
    return virtualMs / this.scale;
  }

  private save(file: string): void {
    writeFileSync(file, JSON.stringify({ scale: this.scale, anchorReal: this.anchorReal, anchorVirtual: this.anchorVirtual }));
  }
}
