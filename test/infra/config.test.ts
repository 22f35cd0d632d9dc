import path from 'node:path';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { describe, expect, it } from 'vitest';
import { ConfigError, type ContextKey, readConfig } from '../../infra/config.js';
import { REPO_ROOT } from '../../infra/paths.js';

const from = (context: Partial<Record<ContextKey, unknown>>, env: NodeJS.ProcessEnv = {}) => readConfig((key) => context[key], env);

function problemsOf(context: Partial<Record<ContextKey, unknown>>): readonly string[] {
  try {
    from(context);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('readConfig', () => {
  it('applies the defaults and resolves the catalog against the repository', () => {
    expect(from({ catalog: 'catalog/example.yaml' })).toEqual({
      catalogPath: path.join(REPO_ROOT, 'catalog/example.yaml'),
      anomalyMode: 'alert',
      stackName: 'Grantline',
      logRetention: RetentionDays.ONE_YEAR,
      eventBusName: 'grantline',
      inWindowWatch: false,
      reviewIgnorePrincipals: [],
      env: {},
    });
  });

  it('reads the operations keys as the command line passes them, and names the key of a bad value', () => {
    const config = from({ catalog: 'c.yaml', inWindowWatch: 'true', reviewIgnorePrincipals: 'arn:aws:iam::111111111111:user/breakglass, arn:aws:iam::111111111111:role/ci' });
    expect(config).toMatchObject({ inWindowWatch: true, reviewIgnorePrincipals: ['arn:aws:iam::111111111111:user/breakglass', 'arn:aws:iam::111111111111:role/ci'] });
    expect(() => from({ catalog: 'c.yaml', inWindowWatch: 'yes' })).toThrow(/context "inWindowWatch"/);
    expect(() => from({ catalog: 'c.yaml', reviewIgnorePrincipals: 'bob' })).toThrow(/context "reviewIgnorePrincipals/);
    expect(() => from({ catalog: 'c.yaml', eventBusName: 'no spaces' })).toThrow(/context "eventBusName"/);
  });

  it('takes string values as the command line passes them', () => {
    const config = from({ catalog: 'c.yaml', logRetentionDays: '30', anomalyMode: 'revert', approverEmail: 'a@example.com', alertEmail: '' });
    expect(config).toMatchObject({ logRetention: RetentionDays.ONE_MONTH, anomalyMode: 'revert', approverEmail: 'a@example.com' });
    expect(config).not.toHaveProperty('alertEmail');
  });

  it('takes account and region from CDK_DEFAULT_*, without lookups', () => {
    expect(from({ catalog: 'c.yaml' }, { CDK_DEFAULT_ACCOUNT: '111122223333', CDK_DEFAULT_REGION: 'eu-west-1' }).env).toEqual({
      account: '111122223333',
      region: 'eu-west-1',
    });
  });

  it('names the context key of every problem', () => {
    const problems = problemsOf({ approverEmail: 'not-an-email', anomalyMode: 'ignore', logRetentionDays: '42', stackName: '9lives' });
    expect(problems.map((p) => /^context "(\w+)"/.exec(p)?.[1]).sort()).toEqual(['anomalyMode', 'approverEmail', 'catalog', 'logRetentionDays', 'stackName']);
  });
});
