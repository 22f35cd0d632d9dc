import { Template } from 'aws-cdk-lib/assertions';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { describe, expect, it } from 'vitest';
import { catalogDefines, MAX_CATALOG_DEFINE_CHARS, NodeFunction } from '../../infra/constructs/node-function.js';
import { asList, bareStack, fixtureCatalog, FIXTURE_VERSION, policyStatements } from './helpers.js';

function healthFunction() {
  const stack = bareStack();
  const fn = new NodeFunction(stack, 'Api', {
    entry: 'functions/access/handlers/api.ts',
    catalog: fixtureCatalog(),
    logRetention: RetentionDays.ONE_MONTH,
    environment: { AUDIT_TABLE_NAME: 'audit' },
  });
  return { stack, fn, template: Template.fromStack(stack) };
}

describe('NodeFunction', () => {
  it('runs Node 22 on ARM with 256 MB, 30 s and active tracing', () => {
    healthFunction().template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      MemorySize: 256,
      Timeout: 30,
      TracingConfig: { Mode: 'Active' },
      Handler: 'index.handler',
    });
  });

  it('sets source maps, the Powertools service name and the given environment', () => {
    healthFunction().template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: { NODE_OPTIONS: '--enable-source-maps', POWERTOOLS_SERVICE_NAME: 'grantline', AUDIT_TABLE_NAME: 'audit' } },
    });
  });

  it('reserves no concurrency', () => {
    const [fn] = Object.values(healthFunction().template.findResources('AWS::Lambda::Function'));
    expect(fn!['Properties'].ReservedConcurrentExecutions).toBeUndefined();
  });

  it('logs to its own retained log group with the configured retention', () => {
    const { template } = healthFunction();
    template.hasResource('AWS::Logs::LogGroup', { Properties: { RetentionInDays: 30 }, DeletionPolicy: 'Retain' });
    const [logGroupId] = Object.keys(template.findResources('AWS::Logs::LogGroup'));
    template.hasResourceProperties('AWS::Lambda::Function', { LoggingConfig: { LogGroup: { Ref: logGroupId } } });
  });

  it('has a role without managed policies that may write only to its log group, plus X-Ray', () => {
    const { template } = healthFunction();
    const [role] = Object.values(template.findResources('AWS::IAM::Role'));
    expect(role!['Properties'].ManagedPolicyArns).toBeUndefined();
    const statements = policyStatements(template).map((s) => s.statement);
    const logs = statements.find((s) => asList(s.Action).includes('logs:PutLogEvents'))!;
    expect(logs.Resource).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^ApiLogs/), 'Arn'] });
    expect(statements.flatMap((s) => asList(s.Action)).sort()).toEqual([
      'logs:CreateLogStream',
      'logs:PutLogEvents',
      'xray:PutTelemetryRecords',
      'xray:PutTraceSegments',
    ]);
  });
});

describe('catalogDefines', () => {
  it('compiles the catalog in as a JSON string expression and the version as a string', () => {
    const snapshot = fixtureCatalog();
    const defines = catalogDefines(snapshot);
    expect(JSON.parse(JSON.parse(defines['__GRANTLINE_CATALOG__']!) as string)).toEqual(snapshot.catalog);
    expect(JSON.parse(defines['__GRANTLINE_CATALOG_VERSION__']!)).toBe(FIXTURE_VERSION);
  });

  it('refuses a catalog too large for one esbuild argument', () => {
    const snapshot = fixtureCatalog();
    const entitlement = snapshot.catalog.entitlements[0]!;
    const big = { ...snapshot, catalog: { ...snapshot.catalog, entitlements: [{ ...entitlement, description: 'x'.repeat(MAX_CATALOG_DEFINE_CHARS) }] } };
    expect(() => catalogDefines(big)).toThrow(/bundling allows at most/);
  });
});
