import { randomBytes } from 'node:crypto';

/**
 * The library has no `$$.Task.Token`, but it evaluates `$$` paths against a context object we
 * supply: every execution gets this placeholder as `Task.Token`, and the callback task swaps it
 * for the real token in the rendered input (exact values and inside strings built by
 * `States.Format`).
 */
export const TASK_TOKEN_PLACEHOLDER = 'grantline-local:$$.Task.Token';

interface TokenBody {
  readonly e: string;
  readonly s: string;
  readonly n: string;
}

/** Opaque like AWS's: nothing may be read from it, but it names its task for debugging. */
export function mintTaskToken(executionArn: string, stateName: string): string {
  const body: TokenBody = { e: executionArn, s: stateName, n: randomBytes(16).toString('base64url') };
  return Buffer.from(JSON.stringify(body)).toString('base64url');
}

/** Whether a string could have come from `mintTaskToken` (AWS answers InvalidToken otherwise). */
export function isWellFormedTaskToken(token: unknown): token is string {
  if (typeof token !== 'string' || token.length === 0 || !/^[A-Za-z0-9_-]+$/.test(token)) return false;
  try {
    const body = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as Partial<TokenBody>;
    return typeof body.e === 'string' && typeof body.s === 'string' && typeof body.n === 'string';
  } catch {
    return false;
  }
}

export function containsTaskTokenPlaceholder(value: unknown): boolean {
  if (typeof value === 'string') return value.includes(TASK_TOKEN_PLACEHOLDER);
  if (Array.isArray(value)) return value.some(containsTaskTokenPlaceholder);
  if (value !== null && typeof value === 'object') return Object.values(value).some(containsTaskTokenPlaceholder);
  return false;
}

export function insertTaskToken(value: unknown, token: string): unknown {
  if (typeof value === 'string') return value.replaceAll(TASK_TOKEN_PLACEHOLDER, token);
  if (Array.isArray(value)) return value.map((item) => insertTaskToken(item, token));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, insertTaskToken(item, token)]));
  }
  return value;
}
