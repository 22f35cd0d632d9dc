import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CatalogError, loadCatalogFile } from './loader.js';

export interface Io {
  out(line: string): void;
  err(line: string): void;
}

/** `npm run catalog:check -- <file> [...]`: 0 when every file is valid, 1 with problems, 2 on usage. */
export function main(argv: readonly string[], io: Io): number {
  const files = argv.filter((a) => !a.startsWith('-'));
  if (files.length === 0) {
    io.err('usage: npm run catalog:check -- <catalog.yaml> [more.yaml ...]');
    return 2;
  }
  let failed = 0;
  for (const file of files) {
    try {
      const { catalog, version } = loadCatalogFile(file);
      io.out(`✓ ${file}: ${catalog.entitlements.length} entitlements, ${Object.keys(catalog.groups).length} groups, version ${version}`);
    } catch (err) {
      failed++;
      if (err instanceof CatalogError) {
        io.err(`✗ ${file}: ${err.problems.length} problem${err.problems.length === 1 ? '' : 's'}`);
        for (const p of err.problems) io.err(`  ${p}`);
      } else {
        io.err(`✗ ${file}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  }
  return failed > 0 ? 1 : 0;
}

const invokedDirectly = process.argv[1] !== undefined && realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url));
if (invokedDirectly) {
  process.exitCode = main(process.argv.slice(2), { out: (l) => process.stdout.write(`${l}\n`), err: (l) => process.stderr.write(`${l}\n`) });
}
