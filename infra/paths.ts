import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The repository root, fixed from this file's location rather than the working directory, so that
 * `cdk synth`, vitest and editors resolve function entries, ASL files and the catalog the same way.
 */
export const REPO_ROOT = path.resolve(fileURLToPath(new URL('..', import.meta.url)));

/** Where the ASL definitions live; state machines are only ever loaded from here. */
export const STATEMACHINES_DIR = path.join(REPO_ROOT, 'statemachines');
