import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CatalogError, catalogFromJson, loadCatalogFile, parseCatalog } from '../../../functions/catalog/loader.js';
import { catalogInput, first, loaderProblems } from './builders.js';

const EXAMPLE = 'catalog/example.yaml';
const example = readFileSync(EXAMPLE, 'utf8');

function errorOf(fn: () => unknown): CatalogError {
  try {
    fn();
  } catch (err) {
    if (err instanceof CatalogError) return err;
    throw err;
  }
  throw new Error('expected a CatalogError');
}

describe('parseCatalog', () => {
  it('accepts the example catalog with the entitlements the demo relies on', () => {
    // Act
    const { catalog } = parseCatalog(example);

    // Assess
    const byId = Object.fromEntries(catalog.entitlements.map((e) => [e.id, e]));
    expect(byId['prod-readonly']).toMatchObject({
      grant: { type: 'managed-policy', policyArn: 'arn:aws:iam::aws:policy/ReadOnlyAccess' },
      maxDuration: 'PT4H',
      approval: { approvers: ['sre-leads'], required: 1, auto: { groups: ['oncall'], maxDuration: 'PT1H' } },
    });
    expect(byId['prod-deploy']).toMatchObject({ requireTicket: '^[A-Z]+-[0-9]+$', maxDuration: 'PT2H', approval: { required: 1, timeout: 'PT30M' } });
    expect(byId['prod-admin']).toMatchObject({ grant: { type: 'group', groupName: 'prod-admins' }, breakGlass: true, approval: { required: 2 } });
    expect(catalog.entitlements.filter((e) => e.eligible.includes('contractors'))).toEqual([]);
  });

  it('versions the catalog by the hash of its text', () => {
    // Act
    const version = parseCatalog(example).version;

    // Assess
    expect(version).toMatch(/^sha256:[0-9a-f]{16}$/);
    expect(parseCatalog(example).version).toBe(version);
    expect(parseCatalog(`${example}# one more comment\n`).version).not.toBe(version);
  });

  it('appends the git commit to the version when one is given', () => {
    const { version } = parseCatalog(example);
    expect(parseCatalog(example, { gitCommit: 'abc1234' }).version).toBe(`${version}+git.abc1234`);
  });

  it('applies the schema defaults', () => {
    const { catalog } = parseCatalog(JSON.stringify(catalogInput()));
    expect(catalog.entitlements[0].approval.timeout).toBe('PT1H');
    expect(catalog.entitlements[0].breakGlass).toBe(false);
  });

  it('reports YAML syntax errors with their line and column', () => {
    const text = readFileSync('test/unit/catalog/fixtures/syntax-error.yaml', 'utf8');
    expect(errorOf(() => parseCatalog(text)).problems).toEqual([expect.stringMatching(/^line 5, column 1: /)]);
  });

  it('refuses a key given twice, which YAML would otherwise resolve silently', () => {
    expect(errorOf(() => parseCatalog('version: 1\nversion: 1\n')).problems).toEqual(['line 2, column 1: Map keys must be unique']);
  });

  it('reports an empty file', () => {
    expect(errorOf(() => parseCatalog('# nothing here\n')).problems).toEqual(['(root): the catalog is empty']);
  });

  it('names the path of a duration that does not parse', () => {
    const input = catalogInput();
    first(input).maxDuration = 'two hours';
    expect(loaderProblems(input)).toEqual(['entitlements[0].maxDuration: must be a duration like PT30M, PT2H, 30m or 2h']);
  });

  it.each([
    ['entitlements[0].maxDuration', (e: ReturnType<typeof first>) => (e.maxDuration = 'PT13H')],
    ['entitlements[0].approval.timeout', (e: ReturnType<typeof first>) => (e.approval.timeout = '13h')],
    ['entitlements[0].approval.auto.maxDuration', (e: ReturnType<typeof first>) => (e.approval.auto = { groups: ['developers'], maxDuration: 'P1D' })],
  ])('refuses durations over 12 hours at %s', (path, change) => {
    const input = catalogInput();
    change(first(input));
    expect(loaderProblems(input)).toContain(`${path}: must be at most 12 hours`);
  });

  it('names every unknown field, so a typo never passes', () => {
    const input: any = catalogInput();
    input.entitlements[0].maxDurration = 'PT1H';
    input.entitlements[0].approval.requried = 2;
    expect(loaderProblems(input).sort()).toEqual(['entitlements[0].approval.requried: unknown field', 'entitlements[0].maxDurration: unknown field']);
  });

  it('lists every problem at once, schema and semantic, in file order', () => {
    // Prepare
    const text = readFileSync('test/unit/catalog/fixtures/bad.yaml', 'utf8');

    // Act
    const error = errorOf(() => parseCatalog(text, { source: 'bad.yaml' }));

    // Assess
    expect(error.problems).toEqual([
      'admins[0]: unknown group "root"',
      'groups.developers[1]: arn:aws:iam::111111111111:user/mallory is not in account 000000000000',
      'entitlements[0].maxDuration: must be at most 12 hours',
      'entitlements[1].maxDuration: must be a duration like PT30M, PT2H, 30m or 2h',
      'entitlements[1].eligible[0]: unknown group "devs"',
      'entitlements[2].approval.required: 2 distinct approvers needed, but the approver groups have only 1 distinct member',
      'entitlements[2].grant.policy.Statement[0]: allows iam:PutUserPolicy (privilege escalation); allowed only with breakGlass: true and approval.required >= 2',
      'entitlements[3].grant.policy.Statement[0].Effect: Invalid option: expected one of "Allow"|"Deny"',
    ]);
    expect(error.name).toBe('CatalogError');
    expect(error.message).toMatch(/^bad\.yaml has 8 problems:\n {2}- admins\[0\]/);
  });
});

describe('loadCatalogFile', () => {
  it('names the file as the source and leaves git out unless asked', () => {
    const loaded = loadCatalogFile(EXAMPLE);
    expect(loaded.source).toBe(EXAMPLE);
    expect(loaded.version).toBe(parseCatalog(example).version);
  });

  it('does not fail when git cannot name a commit, and prefers a given commit', () => {
    // Prepare: a copy of the example outside any repository
    const file = join(mkdtempSync(join(tmpdir(), 'grantline-catalog-')), 'catalog.yaml');
    writeFileSync(file, example);

    // Act
    const detected = loadCatalogFile(file, { detectGit: true });
    const given = loadCatalogFile(file, { detectGit: true, gitCommit: 'feed123' });

    // Assess
    expect(detected.version).toMatch(/^sha256:[0-9a-f]{16}$/);
    expect(given.version).toBe(`${detected.version}+git.feed123`);
  });

  it('reports a file it cannot read as a CatalogError', () => {
    const error = errorOf(() => loadCatalogFile('test/unit/catalog/fixtures/missing.yaml'));
    expect(error.problems).toEqual([expect.stringMatching(/^cannot read the file: ENOENT/)]);
  });
});

describe('catalogFromJson', () => {
  it('restores the bundled form with the version it was built with', () => {
    const { catalog } = parseCatalog(example);
    expect(catalogFromJson(JSON.stringify(catalog), 'sha256:0123456789abcdef')).toEqual({
      catalog,
      version: 'sha256:0123456789abcdef',
      source: 'bundled',
    });
  });

  it('validates again: broken JSON and failing checks are CatalogErrors', () => {
    // Prepare
    const { catalog } = parseCatalog(example);
    const unknownGroup = { ...catalog, admins: ['root'] };

    // Act / Assess
    expect(errorOf(() => catalogFromJson('{"version":', 'v')).problems).toEqual([expect.stringMatching(/^\(root\): not valid JSON/)]);
    expect(errorOf(() => catalogFromJson(JSON.stringify(unknownGroup), 'v')).problems).toEqual(['admins[0]: unknown group "root"']);
  });
});
