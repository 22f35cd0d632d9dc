import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { CatalogError, loadCatalogFile } from './loader.js';

export interface CliIo {
  out(line: string): void;
  err(line: string): void;
}

const USAGE = 'usage: npm run catalog:check -- <catalog.yaml> [more.yaml ...]';

/**
 * `npm run catalog:check -- <file> [...]`. Exit code 0 when every file is valid, 1 when any has
 * problems (each on its own line), 2 on a usage error. Never prints a stack trace.
 */
export function main(argv: readonly string[], io: CliIo): number {
  if (argv.includes('-h') || argv.includes('--help')) {
    io.out(USAGE);
    return 0;
  }
  const unknown = argv.filter((a) => a.startsWith('-') && a !== '--');
  const files = argv.filter((a) => !a.startsWith('-'));
  if (unknown.length > 0 || files.length === 0) {
    if (unknown.length > 0) io.err(`unknown option ${unknown.join(', ')}`);
    io.err(USAGE);
    return 2;
  }
  let failed = 0;
  for (const file of files) {
    try {
      const { catalog, version } = loadCatalogFile(file, { detectGit: true });
      io.out(`✓ ${file}: ${catalog.entitlements.length} entitlements, ${Object.keys(catalog.groups).length} groups, version ${version}`);
    } catch (err) {
      failed++;
      if (err instanceof CatalogError) {
        io.err(`✗ ${file}: ${err.problems.length} problem${err.problems.length === 1 ? '' : 's'}`);
        for (const problem of err.problems) io.err(`  ${problem}`);
      } else {
        io.err(`✗ ${file}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  }
  return failed > 0 ? 1 : 0;
}

function invokedDirectly(): boolean {
  try {
    return process.argv[1] !== undefined && pathToFileURL(realpathSync(process.argv[1])).href === import.meta.url;
  } catch {
    return false;
  }
}

if (invokedDirectly()) {
  process.exitCode = main(process.argv.slice(2), {
    out: (line) => process.stdout.write(`${line}\n`),
    err: (line) => process.stderr.write(`${line}\n`),
  });
}
