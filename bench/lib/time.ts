import { setTimeout as sleepMs } from 'node:timers/promises';

/** Wall-clock milliseconds with sub-millisecond resolution, on the same epoch as Date.now(). */
export const nowMs = (): number => performance.timeOrigin + performance.now();

export const sleep = (ms: number): Promise<void> => sleepMs(Math.max(0, ms)).then(() => undefined);

/** Sleeps until the wall clock reaches `atMs` (epoch ms). */
export async function sleepUntil(atMs: number): Promise<void> {
  const left = atMs - nowMs();
  if (left > 0) await sleep(left);
}

/**
 * Runs `worker(i)` for i in [0, count) with at most `concurrency` at once; resolves with the results in
 * order. Stops handing out work once `deadlineMs` (epoch ms) has passed; work not started is left out.
 */
export async function pool<T>(count: number, concurrency: number, worker: (i: number) => Promise<T>, deadlineMs = Number.POSITIVE_INFINITY): Promise<T[]> {
  const results: T[] = new Array(count);
  let next = 0;
  const lanes = Array.from({ length: Math.min(concurrency, count) }, async () => {
    for (;;) {
      const i = next++;
      if (i >= count || nowMs() > deadlineMs) return;
      results[i] = await worker(i);
    }
  });
  await Promise.all(lanes);
  return results.filter(() => true); // drops the holes left by work not handed out before the deadline
}
