import { describe, expect, it } from 'vitest';
import { buildApp } from '../../infra/app.js';
import { ConfigError } from '../../infra/config.js';
import { ACCOUNT, FIXTURE_CATALOG, projectContext } from './helpers.js';

const build = (context: Record<string, unknown>, processEnv: NodeJS.ProcessEnv = {}) =>
  buildApp({ bundling: false, builtinCloudFormationValidation: false, processEnv, context: { ...projectContext(), catalog: FIXTURE_CATALOG, ...context } });

describe('buildApp', () => {
  it('builds the stack named by the context, for the account of CDK_DEFAULT_ACCOUNT', () => {
    const { stack, config } = build({ stackName: 'Grantline-Test' }, { CDK_DEFAULT_ACCOUNT: ACCOUNT, CDK_DEFAULT_REGION: 'eu-west-1' });
    expect(stack.stackName).toBe('Grantline-Test');
    expect(stack.account).toBe(ACCOUNT);
    expect(stack.region).toBe('eu-west-1');
    expect(config.catalogPath).toBe(FIXTURE_CATALOG);
  });

  it('refuses to deploy a catalog to another account', () => {
    expect(() => build({}, { CDK_DEFAULT_ACCOUNT: '999999999999' })).toThrow(ConfigError);
    expect(() => build({}, { CDK_DEFAULT_ACCOUNT: '999999999999' })).toThrow(/context "catalog": the catalog is for account 111122223333/);
  });

  it('names the catalog context key when the catalog cannot be loaded', () => {
    expect(() => build({ catalog: 'test/infra/fixtures/missing.yaml' })).toThrow(/context "catalog"/);
  });
});
