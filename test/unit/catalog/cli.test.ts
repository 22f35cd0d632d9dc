import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { main } from '../../../functions/catalog/cli.js';

const EXAMPLE = 'catalog/example.yaml';
const BAD = 'test/unit/catalog/fixtures/bad.yaml';

function run(argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = main(argv, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out, err };
}

describe('catalog:check', () => {
  it('exits 0 and summarises a valid catalog', () => {
    const { code, out, err } = run([EXAMPLE]);
    expect(code).toBe(0);
    expect(out).toEqual([expect.stringMatching(/^✓ catalog\/example\.yaml: 4 entitlements, 5 groups, version sha256:[0-9a-f]{16}(\+git\.[0-9a-f]+)?$/)]);
    expect(err).toEqual([]);
  });

  it('exits 1 and prints each problem on its own line', () => {
    const { code, err } = run([BAD]);
    expect(code).toBe(1);
    expect(err[0]).toBe(`✗ ${BAD}: 8 problems`);
    expect(err.slice(1)).toHaveLength(8);
    expect(err.slice(1)).toContain('  entitlements[0].maxDuration: must be at most 12 hours');
  });

  it('checks every file it is given and fails if any fails', () => {
    const { code, out, err } = run([EXAMPLE, BAD]);
    expect(code).toBe(1);
    expect(out).toHaveLength(1);
    expect(err[0]).toMatch(/^✗ .*bad\.yaml/);
  });

  it('reports a missing file without a stack trace', () => {
    const { code, err } = run(['nope.yaml']);
    expect(code).toBe(1);
    expect(err).toEqual(['✗ nope.yaml: 1 problem', expect.stringMatching(/^ {2}cannot read the file: ENOENT/)]);
  });

  it.each([
    [[], 2],
    [['--strict', EXAMPLE], 2],
    [['--help'], 0],
  ])('exits %# with %s for usage', (argv, expected) => {
    expect(run(argv).code).toBe(expected);
  });

  it('runs as a script with the same exit codes', () => {
    const script = (...args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', 'functions/catalog/cli.ts', ...args], { encoding: 'utf8' });
    expect(script(EXAMPLE).status).toBe(0);
    expect(script(BAD)).toMatchObject({ status: 1, stderr: expect.not.stringContaining('    at ') });
    expect(script().status).toBe(2);
  });
});
