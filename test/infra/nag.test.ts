import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { afterEach, describe, expect, it } from 'vitest';
import { buildApp } from '../../infra/app.js';
import { FIXTURE_CATALOG, projectContext } from './helpers.js';

const outdirs: string[] = [];
afterEach(() => outdirs.splice(0).forEach((dir) => rmSync(dir, { recursive: true, force: true })));

/** The app as `cdk synth` builds it, without bundling, in a throwaway cloud assembly. */
function app() {
  const outdir = mkdtempSync(path.join(tmpdir(), 'grantline-nag-'));
  outdirs.push(outdir);
  return buildApp({
    outdir,
    bundling: false,
    builtinCloudFormationValidation: false,
    processEnv: {},
    context: { ...projectContext(), catalog: FIXTURE_CATALOG },
  });
}

interface ValidationReport {
  readonly pluginReports: { readonly pluginName: string; readonly violations: { readonly ruleName: string; readonly severity: string }[] }[];
}

describe('cdk-nag (AWS Solutions)', () => {
  it('reports no finding that is not acknowledged, error or warning', () => {
    // cdk-nag 3 is a policy validation plugin: an unacknowledged error makes synth throw, and every
    // finding (warnings too) lands in the assembly's validation report.
    const assembly = app().app.synth();
    const report = JSON.parse(readFileSync(path.join(assembly.directory, 'validation-report.json'), 'utf8')) as ValidationReport;
    const findings = report.pluginReports.flatMap((r) => r.violations.map((v) => `${r.pluginName}: ${v.severity} ${v.ruleName}`));
    expect(findings).toEqual([]);
  });

  it('fails the synth on a finding nobody acknowledged', () => {
    const { app: cdkApp, stack } = app();
    const role = new Role(stack, 'Careless', { assumedBy: new ServicePrincipal('lambda.amazonaws.com') });
    role.addToPolicy(new PolicyStatement({ actions: ['s3:GetObject'], resources: ['*'] }));
    expect(() => cdkApp.synth()).toThrow(/AwsSolutions-IAM5\[Resource::\*\]/);
  });
});
