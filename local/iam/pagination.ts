import { validationError } from './errors.js';

export interface PageRequest {
  readonly MaxItems?: number | undefined;
  readonly Marker?: string | undefined;
}

export interface Page<T> {
  readonly items: T[];
  readonly IsTruncated: boolean;
  readonly Marker?: string;
}

/** Where a listing resumes: after `key` in segment `segment` (GetAccountAuthorizationDetails walks several lists). */
export interface MarkerPosition {
  readonly segment: number;
  readonly key: string;
}

const DEFAULT_MAX_ITEMS = 100;
const MAX_MAX_ITEMS = 1000;

export function readMaxItems(request: PageRequest): number {
  const maxItems = request.MaxItems ?? DEFAULT_MAX_ITEMS;
  if (!Number.isInteger(maxItems) || maxItems < 1 || maxItems > MAX_MAX_ITEMS) {
    throw validationError(
      `1 validation error detected: Value '${maxItems}' at 'maxItems' failed to satisfy constraint: ` +
        `Member must have value between 1 and ${MAX_MAX_ITEMS}`,
    );
  }
  return maxItems;
}

// Markers name the last key returned rather than an offset, so a page boundary stays put when
// entities are created or removed between calls (AWS markers are opaque too).
export const encodeMarker = (position: MarkerPosition): string =>
  Buffer.from(JSON.stringify([position.segment, position.key])).toString('base64url');

export function decodeMarker(marker: string): MarkerPosition {
  try {
    const [segment, key] = JSON.parse(Buffer.from(marker, 'base64url').toString('utf8')) as unknown[];
    if (typeof segment === 'number' && typeof key === 'string') return { segment, key };
  } catch {
    // fall through to the error below
  }
  throw validationError('Invalid Marker.');
}

export const compareKeys = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Index of the first item whose key sorts after `key`; `sorted` must be ordered by `compareKeys`. */
export function indexAfter<T>(sorted: readonly T[], keyOf: (item: T) => string, key: string): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (compareKeys(keyOf(sorted[middle]!), key) <= 0) low = middle + 1;
    else high = middle;
  }
  return low;
}

/** One page of a list sorted by `keyOf`, as IAM's List* calls return it. */
export function paginate<T>(sorted: readonly T[], keyOf: (item: T) => string, request: PageRequest): Page<T> {
  const maxItems = readMaxItems(request);
  const start = request.Marker === undefined ? 0 : indexAfter(sorted, keyOf, decodeMarker(request.Marker).key);
  const items = sorted.slice(start, start + maxItems);
  const isTruncated = start + maxItems < sorted.length;
  return isTruncated
    ? { items, IsTruncated: true, Marker: encodeMarker({ segment: 0, key: keyOf(items[items.length - 1]!) }) }
    : { items, IsTruncated: false };
}

/** Sorts a copy by `keyOf` so it can be paginated. */
export const sortedBy = <T>(items: Iterable<T>, keyOf: (item: T) => string): T[] =>
  [...items].sort((a, b) => compareKeys(keyOf(a), keyOf(b)));
