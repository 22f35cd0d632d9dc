import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { AssetManifestArtifact } from 'aws-cdk-lib/cx-api';
import { afterAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../infra/app.js';
import { FIXTURE_CATALOG, projectContext } from './helpers.js';

const outdir = mkdtempSync(path.join(tmpdir(), 'grantline-synth-'));
afterAll(() => rmSync(outdir, { recursive: true, force: true }));

describe('cdk synth', () => {
  it('bundles every function with the local esbuild, the catalog compiled in', { timeout: 60_000 }, () => {
    // The real thing: bundling on, built-in CloudFormation validation on, cdk-nag on.
    const { app, stack, catalog } = buildApp({ outdir, processEnv: {}, context: { ...projectContext(), catalog: FIXTURE_CATALOG } });
    const assembly = app.synth();
    const artifact = assembly.getStackByName(stack.stackName);

    const functions = Object.entries(artifact.template.Resources as Record<string, { Type: string; Properties: { Code: { S3Key: string } } }>).filter(
      ([, r]) => r.Type === 'AWS::Lambda::Function',
    );
    // The stack's file assets, by the object key the template points Lambda at.
    const files = assembly.artifacts
      .filter(AssetManifestArtifact.isAssetManifestArtifact)
      .flatMap((manifest) => Object.entries(manifest.contents.files ?? {}))
      .flatMap(([, file]) => Object.values(file.destinations).map((d) => [d.objectKey, file.source.path!] as const));
    const bundleOf = (logicalId: string) => {
      const [, fn] = functions.find(([id]) => id === logicalId)!;
      const source = files.find(([key]) => key === fn.Properties.Code.S3Key)?.[1];
      expect(source, `asset of ${logicalId}`).toBeDefined();
      return path.join(assembly.directory, source!);
    };

    expect(functions.length).toBeGreaterThan(1);
    for (const [id] of functions) {
      expect(existsSync(path.join(bundleOf(id), 'index.mjs')), id).toBe(true);
      expect(existsSync(path.join(bundleOf(id), 'index.mjs.map')), id).toBe(true);
    }

    const [apiId] = functions.find(([id]) => id.startsWith('AccessApiFunction'))!;
    const code = readFileSync(path.join(bundleOf(apiId), 'index.mjs'), 'utf8');
    expect(code).toContain(catalog.version);
    expect(code).toContain(catalog.catalog.entitlements[0]!.id);
    expect(code).not.toContain('__GRANTLINE_CATALOG__');
  });
});
