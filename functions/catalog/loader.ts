import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { LineCounter, parseDocument } from 'yaml';
import { z, type ZodError } from 'zod';
import { checkCatalog } from './checks.js';
import { Catalog, Entitlement } from './schema.js';

export interface LoadedCatalog {
  readonly catalog: Catalog;
  /** `sha256:<16 hex>` of the file's text, `+git.<sha>` when the commit is known. */
  readonly version: string;
  readonly source: string;
}

export class CatalogError extends Error {
  constructor(
    readonly problems: readonly string[],
    readonly source = 'catalog',
  ) {
    super(`${source} has ${problems.length} problem${problems.length === 1 ? '' : 's'}:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'CatalogError';
  }
}

/** `entitlements[2].maxDuration` from zod's path. */
export function formatPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((acc, key) => (typeof key === 'number' ? `${acc}[${key}]` : acc ? `${acc}.${String(key)}` : String(key)), '');
}

function zodProblems(error: ZodError): string[] {
  return error.issues.map((issue) => {
    const path = formatPath(issue.path);
    if (issue.code === 'unrecognized_keys') return `${formatPath([...issue.path, issue.keys[0]!])}: unknown field`;
    return `${path || '(root)'}: ${issue.message}`;
  });
}

export function catalogVersion(text: string, gitCommit?: string): string {
  const hash = createHash('sha256').update(text).digest('hex').slice(0, 16);
  return `sha256:${hash}${gitCommit ? `+git.${gitCommit}` : ''}`;
}

/** Validates text as a catalog; throws CatalogError listing every problem, not just the first. */
export function parseCatalog(text: string, opts: { source?: string; gitCommit?: string } = {}): LoadedCatalog {
  const source = opts.source ?? 'catalog';
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  if (doc.errors.length > 0) {
    throw new CatalogError(
      doc.errors.map((e) => {
        const pos = lineCounter.linePos(e.pos[0]);
        return `line ${pos.line}, column ${pos.col}: ${e.message.split('\n')[0]}`;
      }),
      source,
    );
  }
  const raw: unknown = doc.toJS();
  const parsed = Catalog.safeParse(raw);
  if (!parsed.success) throw new CatalogError([...zodProblems(parsed.error), ...partialChecks(raw)], source);
  const problems = checkCatalog(parsed.data);
  if (problems.length > 0) throw new CatalogError(problems, source);
  return { catalog: parsed.data, version: catalogVersion(text, opts.gitCommit), source };
}

/**
 * When the schema fails, still run the semantic checks on the parts that parse, so one run lists
 * every problem instead of one class at a time.
 */
function partialChecks(raw: unknown): string[] {
  const top = Catalog.omit({ entitlements: true }).extend({ entitlements: z.array(z.unknown()) }).safeParse(raw);
  if (!top.success) return [];
  const entitlements = top.data.entitlements.map((e) => {
    const r = Entitlement.safeParse(e);
    return r.success ? r.data : undefined;
  });
  return checkCatalog({ ...top.data, entitlements });
}

function gitHead(): string | undefined {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim() || undefined;
  } catch {
    return undefined;
  }
}

export function loadCatalogFile(path: string, opts: { gitCommit?: string; detectGit?: boolean } = {}): LoadedCatalog {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new CatalogError([`cannot read the file: ${(err as Error).message}`], path);
  }
  const gitCommit = opts.gitCommit ?? (opts.detectGit ? gitHead() : undefined);
  return parseCatalog(text, { source: path, ...(gitCommit ? { gitCommit } : {}) });
}

/** The form compiled into the functions at synth time; validated again on load. */
export function catalogFromJson(json: string, version: string): LoadedCatalog {
  const parsed = Catalog.safeParse(JSON.parse(json));
  if (!parsed.success) throw new CatalogError(zodProblems(parsed.error), 'bundled catalog');
  return { catalog: parsed.data, version, source: 'bundled' };
}
