import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { Catalog } from './schema.js';

export interface LoadedCatalog { catalog: Catalog; version: string; source: string }
export class CatalogError extends Error {
  constructor(readonly problems: string[]) { super(problems.join('\n')); this.name = 'CatalogError'; }
}
export function parseCatalog(text: string, opts: { source?: string; gitCommit?: string } = {}): LoadedCatalog {
  const r = Catalog.safeParse(parse(text));
  if (!r.success) throw new CatalogError(r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`));
  const version = `sha256:${createHash('sha256').update(text).digest('hex').slice(0, 16)}${opts.gitCommit ? `+git.${opts.gitCommit}` : ''}`;
  return { catalog: r.data, version, source: opts.source ?? 'inline' };
}
export function loadCatalogFile(path: string, opts: { gitCommit?: string } = {}): LoadedCatalog {
  return parseCatalog(readFileSync(path, 'utf8'), { source: path, ...opts });
}
export function catalogFromJson(json: string, version: string): LoadedCatalog {
  return { catalog: Catalog.parse(JSON.parse(json)), version, source: 'bundled' };
}
