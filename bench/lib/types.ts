import type { Dist } from './stats.js';
import type { ServerHandle, ServerMode, ServerOptions } from './server.js';

/** One line of the results table. */
export type Row =
  | {
      readonly kind: 'dist';
      readonly metric: string;
      readonly unit: string;
      readonly dist: Dist;
      readonly note?: string;
    }
  | {
      readonly kind: 'value';
      readonly metric: string;
      /** Already formatted, with its unit. */
      readonly value: string;
      readonly n?: number;
      readonly note?: string;
    };

export interface SectionResult {
  readonly rows: Row[];
  /** Observations worth reading next to the numbers (where time goes, anomalies, bugs). */
  readonly notes: string[];
}

export interface BenchContext {
  /** Progress line on stderr (the table goes to stdout). */
  log(message: string): void;
  /** Starts a server for this section; the runner stops it when the section ends, even on error. */
  startServer(options?: ServerOptions): Promise<ServerHandle>;
  /** --server: where servers run unless a section insists. */
  readonly serverMode: ServerMode;
  /** bench/catalog.bench.yaml, freshly written for this run. */
  readonly benchCatalog: string;
  /** --quick: smaller counts and shorter runs, for checking that the bench itself works. */
  readonly quick: boolean;
}

export interface Section {
  /** What --only selects (a prefix before "-" also selects: --only=expiry runs expiry-*). */
  readonly id: string;
  readonly title: string;
  /** How it is measured, one or two sentences for RESULTS.md. */
  readonly method: string;
  /** In the default run (without --only)? */
  readonly defaultRun: boolean;
  run(ctx: BenchContext): Promise<SectionResult>;
}
