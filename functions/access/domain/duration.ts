/**
 * Durations: ISO 8601 (PT30M, PT1H30M, P1D) or the short forms 30m, 2h, 1h30m, 90s.
 * Returned in whole seconds; anything else is rejected rather than guessed.
 */
const ISO = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$/;
const SHORT = /^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/;

export const MAX_DURATION_SECONDS = 12 * 3600;

/**
 * A request can hold access at most this long after it was created: the longest approval window
 * plus the longest grant (both capped at MAX_DURATION_SECONDS), and an hour for retries. Reads of a
 * principal's holders look back this far instead of over its whole history.
 */
export const HOLDING_HORIZON_SECONDS = 2 * MAX_DURATION_SECONDS + 3600;

export function holdingHorizon(at: Date): string {
  return new Date(at.getTime() - HOLDING_HORIZON_SECONDS * 1000).toISOString();
}

export function parseDuration(text: string): number | undefined {
  const trimmed = text.trim();
  if (trimmed === '' || trimmed === 'P' || trimmed === 'PT') return undefined;
  const m = ISO.exec(trimmed) ?? SHORT.exec(trimmed.toLowerCase());
  if (!m || m.slice(1).every((g) => g === undefined)) return undefined;
  const [d, h, min, s] = m.slice(1).map((g) => (g === undefined ? 0 : Number(g)));
  const total = d! * 86400 + h! * 3600 + min! * 60 + s!;
  return total > 0 && Number.isSafeInteger(total) ? total : undefined;
}

/** Canonical ISO form, e.g. 5400 → PT1H30M. */
export function formatDuration(seconds: number): string {
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  return `PT${h ? `${h}H` : ''}${m ? `${m}M` : ''}${s || (!h && !m) ? `${s}S` : ''}`;
}
