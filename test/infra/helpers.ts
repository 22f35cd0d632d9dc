import { readFileSync } from 'node:fs';
import path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { parse } from 'yaml';
import type { CatalogSnapshot } from '../../functions/access/domain/ports.js';
import { Catalog } from '../../functions/catalog/schema.js';
import { REPO_ROOT } from '../../infra/paths.js';
import { GrantlineStack } from '../../infra/stacks/grantline-stack.js';

export const FIXTURE_CATALOG = path.join(REPO_ROOT, 'test/infra/fixtures/catalog.yaml');
export const FIXTURE_VERSION = 'infra-test-catalog';
export const ACCOUNT = '111122223333';

/** The feature flags and settings of cdk.json, so tests synthesize what `cdk synth` does. */
export function projectContext(): Record<string, unknown> {
  const { context } = JSON.parse(readFileSync(path.join(REPO_ROOT, 'cdk.json'), 'utf8')) as { context: Record<string, unknown> };
  return context;
}

export function fixtureCatalog(): CatalogSnapshot {
  return { catalog: Catalog.parse(parse(readFileSync(FIXTURE_CATALOG, 'utf8'))), version: FIXTURE_VERSION };
}

/** A bare app with bundling skipped and the built-in validator off: Template assertions in ~0.3 s. */
export function bareApp(): App {
  return new App({ builtinCloudFormationValidation: false, context: { ...projectContext(), 'aws:cdk:bundling-stacks': [] } });
}

/** A construct under test in its own stack. */
export function bareStack(): Stack {
  return new Stack(bareApp(), 'Test');
}

export function grantlineStack(
  catalog: CatalogSnapshot = fixtureCatalog(),
  config: Partial<ConstructorParameters<typeof GrantlineStack>[2]['config']> = {},
): GrantlineStack {
  return new GrantlineStack(bareApp(), 'Grantline', {
    config: { logRetention: RetentionDays.ONE_YEAR, approverEmail: 'approvers@example.com', alertEmail: 'oncall@example.com', ...config },
    catalog,
  });
}

export interface Statement {
  readonly Effect: string;
  readonly Action: string | string[];
  readonly Resource: unknown;
  readonly Condition?: Record<string, Record<string, unknown>>;
}

export const asList = <T>(value: T | T[]): T[] => (Array.isArray(value) ? value : [value]);

/** Every identity-policy statement in the template, with the logical id of its policy. */
export function policyStatements(template: Template): { policy: string; statement: Statement }[] {
  return Object.entries(template.findResources('AWS::IAM::Policy')).flatMap(([policy, resource]) =>
    (resource['Properties'].PolicyDocument.Statement as Statement[]).map((statement) => ({ policy, statement })),
  );
}

/** The statements of the default policy of the role of a function whose logical id starts with `prefix`. */
export function functionStatements(template: Template, prefix: string): Statement[] {
  const [roleId, ...others] = Object.keys(template.findResources('AWS::IAM::Role')).filter((id) => id.startsWith(`${prefix}Role`));
  if (!roleId || others.length > 0) throw new Error(`expected one role for ${prefix}, found ${[roleId, ...others].join(', ')}`);
  return policyStatements(template)
    .filter(({ policy }) => policy.startsWith(`${prefix}RoleDefaultPolicy`))
    .map(({ statement }) => statement);
}

/** `{ "Fn::GetAtt": [id, "Arn"] }` and friends, flattened to text for matching logical ids. */
export const text = (value: unknown): string => JSON.stringify(value);
