import { catalogFromJson, loadCatalogFile } from '../catalog/loader.js';
import type { CatalogSnapshot } from '../access/domain/ports.js';

/** Set by esbuild `define` at synth time: the validated catalog and its version, bundled into the code. */
declare const __GRANTLINE_CATALOG__: string | undefined;
declare const __GRANTLINE_CATALOG_VERSION__: string | undefined;

let snapshot: CatalogSnapshot | undefined;

/** The bundled catalog in AWS; the file named by GRANTLINE_CATALOG_FILE locally and in tests. */
export function currentCatalog(): CatalogSnapshot {
  if (!snapshot) {
    if (typeof __GRANTLINE_CATALOG__ === 'string') {
      const loaded = catalogFromJson(__GRANTLINE_CATALOG__, typeof __GRANTLINE_CATALOG_VERSION__ === 'string' ? __GRANTLINE_CATALOG_VERSION__ : 'bundled');
      snapshot = { catalog: loaded.catalog, version: loaded.version };
    } else {
      const file = process.env['GRANTLINE_CATALOG_FILE'];
      if (!file) throw new Error('No catalog: bundle one at synth time or set GRANTLINE_CATALOG_FILE');
      const loaded = loadCatalogFile(file);
      snapshot = { catalog: loaded.catalog, version: loaded.version };
    }
  }
  return snapshot;
}

/** For local mode and tests that switch catalogs within one process. */
export function setCatalog(next: CatalogSnapshot | undefined): void {
  snapshot = next;
}
