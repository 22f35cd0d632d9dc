/**
 * Just enough IAM policy reading for monitoring: decoding documents as IAM and CloudTrail hand them
 * out, and matching actions against Allow statements. Not an evaluator: conditions, resources and
 * Deny statements are ignored on purpose, since the questions asked here are "could this grant
 * explain that call?" and "does this document hand out admin-like power?".
 */

/**
 * IAM's read APIs return inline documents URL-encoded; CloudTrail gives them as JSON text. Returns
 * the parsed document, or null when it is neither.
 */
export function decodePolicyDocument(raw: unknown): unknown {
  if (raw !== null && typeof raw === 'object') return raw;
  if (typeof raw !== 'string') return null;
  for (const text of [raw, safeDecode(raw)]) {
    if (text === undefined) continue;
    try {
      return JSON.parse(text) as unknown;
    } catch {
      // try the next form
    }
  }
  return null;
}

function safeDecode(raw: string): string | undefined {
  try {
    return decodeURIComponent(raw);
  } catch {
    return undefined;
  }
}

interface Statement {
  readonly Effect?: unknown;
  readonly Action?: unknown;
  readonly NotAction?: unknown;
}

function statementsOf(document: unknown): Statement[] {
  if (document === null || typeof document !== 'object') return [];
  const statement = (document as { Statement?: unknown }).Statement;
  const list = Array.isArray(statement) ? statement : statement !== undefined ? [statement] : [];
  return list.filter((s): s is Statement => s !== null && typeof s === 'object');
}

const listOf = (value: unknown): string[] => (Array.isArray(value) ? value : value === undefined ? [] : [value]).filter((v): v is string => typeof v === 'string');

/** IAM action patterns: case-insensitive, `*` and `?` wildcards. */
export function actionMatches(pattern: string, action: string): boolean {
  const regex = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`, 'i');
  return regex.test(action);
}

/** Does some Allow statement of the document name this action (by Action, or by not excluding it with NotAction)? */
export function allowsAction(document: unknown, action: string): boolean {
  return statementsOf(document).some((s) => {
    if (s.Effect !== 'Allow') return false;
    if (s.Action !== undefined) return listOf(s.Action).some((p) => actionMatches(p, action));
    if (s.NotAction !== undefined) return !listOf(s.NotAction).some((p) => actionMatches(p, action));
    return false;
  });
}

/** Action patterns that hand out the account: everything, or all of IAM. */
const ADMIN_LIKE_ACTIONS = ['*', '*:*', 'iam:*'];

/** An Allow of `*`, `*:*`, `iam:*`, or any NotAction Allow (everything but a few actions). */
export function isAdminLikeDocument(document: unknown): boolean {
  return statementsOf(document).some(
    (s) => s.Effect === 'Allow' && (s.NotAction !== undefined || listOf(s.Action).some((a) => ADMIN_LIKE_ACTIONS.includes(a.toLowerCase()))),
  );
}

/** AWS managed policies that are elevated on their own, by name (so any partition matches). */
export const ELEVATED_POLICY_NAMES: ReadonlySet<string> = new Set(['AdministratorAccess', 'IAMFullAccess', 'PowerUserAccess']);

export function isElevatedPolicyArn(policyArn: string): boolean {
  const m = /^arn:aws[a-z-]*:iam::aws:policy\/(?:[\w+=,.@-]+\/)*([\w+=,.@-]+)$/.exec(policyArn);
  return m !== null && ELEVATED_POLICY_NAMES.has(m[1]!);
}
