import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import { z, type ZodError } from 'zod';
import { checkCatalog, type EntitlementReferences, type PartialCatalog } from './checks.js';
import { Catalog, Entitlement, PrincipalArn } from './schema.js';

export interface LoadedCatalog {
  readonly catalog: Catalog;
  /** `sha256:<first 16 hex of the text's sha256>`, plus `+git.<short sha>` when the commit is known. */
  readonly version: string;
  /** Where it came from: a file path, or `bundled`. */
  readonly source: string;
}

export interface ParseCatalogOptions {
  /** Names the catalog in the error message. */
  readonly source?: string;
  readonly gitCommit?: string;
}

export interface LoadCatalogFileOptions extends ParseCatalogOptions {
  /** Ask git for HEAD when no gitCommit is given; silently skipped where git is absent. */
  readonly detectGit?: boolean;
}

/** Everything wrong with a catalog, each problem as `path: message`. */
export class CatalogError extends Error {
  readonly problems: string[];
  readonly source: string;

  constructor(problems: readonly string[], source = 'catalog') {
    super(`${source} has ${problems.length} problem${problems.length === 1 ? '' : 's'}:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'CatalogError';
    this.problems = [...problems];
    this.source = source;
  }
}

/** `entitlements[2].maxDuration` from a zod path. */
export function formatPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((acc, key) => (typeof key === 'number' ? `${acc}[${key}]` : acc ? `${acc}.${String(key)}` : String(key)), '');
}

function zodProblems(error: ZodError): string[] {
  return error.issues.flatMap((issue) => {
    const at = (path: readonly PropertyKey[]) => formatPath(path) || '(root)';
    if (issue.code === 'unrecognized_keys') return issue.keys.map((key) => `${at([...issue.path, key])}: unknown field`);
    if (issue.code === 'invalid_key') return [`${at(issue.path)}: invalid name: ${issue.issues[0]?.message ?? issue.message}`];
    return [`${at(issue.path)}: ${issue.message}`];
  });
}

export function catalogVersion(text: string, gitCommit?: string): string {
  const hash = createHash('sha256').update(text).digest('hex').slice(0, 16);
  return `sha256:${hash}${gitCommit ? `+git.${gitCommit}` : ''}`;
}

const SECTIONS = ['(root)', 'version', 'account', 'admins', 'groups', 'entitlements'];

/** Problems in the order of the file (by section, then entitlement), so each entitlement's are together. */
function inDocumentOrder(problems: readonly string[]): string[] {
  const key = (problem: string) => {
    const m = /^([^.[:]+)(?:\[(\d+)\])?/.exec(problem);
    const section = SECTIONS.indexOf(m?.[1] ?? '');
    return [section === -1 ? SECTIONS.length : section, Number(m?.[2] ?? -1)] as const;
  };
  const keyed = problems.map((problem) => ({ problem, key: key(problem) }));
  return keyed.sort((a, b) => a.key[0] - b.key[0] || a.key[1] - b.key[1]).map((k) => k.problem);
}

/** Schema, then semantic checks; throws CatalogError listing every problem found. */
function validate(raw: unknown, source: string): Catalog {
  if (raw === null || raw === undefined) throw new CatalogError(['(root): the catalog is empty'], source);
  const parsed = Catalog.safeParse(raw);
  if (!parsed.success) throw new CatalogError(inDocumentOrder([...zodProblems(parsed.error), ...salvagedChecks(raw)]), source);
  const problems = checkCatalog(parsed.data);
  if (problems.length > 0) throw new CatalogError(inDocumentOrder(problems), source);
  return parsed.data;
}

const Strings = z
  .array(z.unknown())
  .transform((items) => items.filter((i): i is string => typeof i === 'string'))
  .catch([]);

const References = z
  .object({
    id: z.string().optional().catch(undefined),
    eligible: Strings,
    approval: z.object({ approvers: Strings, auto: z.object({ groups: Strings }).optional().catch(undefined) }).catch({ approvers: [] }),
  })
  .catch({ eligible: [], approval: { approvers: [] } });

const Salvage = z.object({
  account: z.string().regex(/^\d{12}$/).optional().catch(undefined),
  admins: Strings,
  groups: z.record(z.string(), z.array(z.unknown()).catch([])),
  entitlements: z.array(z.unknown()).catch([]),
});

/**
 * When the schema fails, run the semantic checks on what still parses (valid members, valid
 * entitlements, and the group references of invalid ones), so one run lists every problem.
 */
function salvagedChecks(raw: unknown): string[] {
  const top = Salvage.safeParse(raw);
  if (!top.success) return [];
  const groups = Object.fromEntries(
    Object.entries(top.data.groups).map(([name, members]) => [name, members.filter((m): m is string => PrincipalArn.safeParse(m).success)]),
  );
  const entitlements = top.data.entitlements.map((e): Entitlement | EntitlementReferences => {
    const full = Entitlement.safeParse(e);
    if (full.success) return full.data;
    const refs = References.parse(e);
    return { invalid: true, id: refs.id, eligible: refs.eligible, approvers: refs.approval.approvers, autoGroups: refs.approval.auto?.groups ?? [] };
  });
  const partial: PartialCatalog = { account: top.data.account, admins: top.data.admins, groups, entitlements };
  return checkCatalog(partial);
}

/** Validates YAML text as a catalog; throws CatalogError listing every problem, not just the first. */
export function parseCatalog(text: string, opts: ParseCatalogOptions = {}): LoadedCatalog {
  const source = opts.source ?? 'catalog';
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new CatalogError(
      doc.errors.map((e) => {
        const { line, col } = lineCounter.linePos(e.pos[0]);
        return `line ${line}, column ${col}: ${e.message.split('\n')[0]}`;
      }),
      source,
    );
  }
  const catalog = validate(doc.toJS(), source);
  return { catalog, version: catalogVersion(text, opts.gitCommit), source };
}

/** The short HEAD commit of the repository holding `dir`, or undefined (no git, not a repository). */
function gitHead(dir: string): string | undefined {
  try {
    const out = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: dir, stdio: ['ignore', 'pipe', 'ignore'], timeout: 5_000 });
    return out.toString().trim() || undefined;
  } catch {
    return undefined;
  }
}

export function loadCatalogFile(path: string, opts: LoadCatalogFileOptions = {}): LoadedCatalog {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new CatalogError([`cannot read the file: ${(err as Error).message}`], path);
  }
  const gitCommit = opts.gitCommit ?? (opts.detectGit ? gitHead(dirname(path)) : undefined);
  return parseCatalog(text, { source: opts.source ?? path, ...(gitCommit ? { gitCommit } : {}) });
}

/** The form compiled into the functions at synth time (JSON of a parsed catalog); validated again on load. */
export function catalogFromJson(json: string, version: string): LoadedCatalog {
  const source = 'bundled catalog';
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch (err) {
    throw new CatalogError([`(root): not valid JSON: ${(err as Error).message}`], source);
  }
  return { catalog: validate(raw, source), version, source: 'bundled' };
}
