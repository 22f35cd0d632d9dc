import path from 'node:path';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { z } from 'zod';
import { REPO_ROOT } from './paths.js';

/** The CDK context keys Grantline reads (from cdk.json or `cdk synth -c key=value`). */
export const CONTEXT_KEYS = ['catalog', 'approverEmail', 'alertEmail', 'anomalyMode', 'stackName', 'logRetentionDays', 'eventBusName', 'inWindowWatch', 'reviewIgnorePrincipals'] as const;
export type ContextKey = (typeof CONTEXT_KEYS)[number];

const RETENTION_VALUES: readonly number[] = Object.values(RetentionDays).filter((v): v is number => typeof v === 'number');

/** `-c key=` on the command line yields an empty string: treat it as "not set". */
const unsetIfEmpty = (value: unknown) => (value === '' || value === null ? undefined : value);

const Email = z.preprocess(unsetIfEmpty, z.email('must be an email address').optional());

export const GrantlineContext = z.object({
  catalog: z.string({ error: 'must name the catalog file, e.g. catalog/example.yaml' }).min(1, 'must name the catalog file'),
  approverEmail: Email,
  alertEmail: Email,
  /** What to do when an out-of-band IAM change is detected (used by the anomaly detector). */
  anomalyMode: z.preprocess(unsetIfEmpty, z.enum(['alert', 'revert']).default('alert')),
  stackName: z.preprocess(
    unsetIfEmpty,
    z
      .string()
      .regex(/^[A-Za-z][A-Za-z0-9-]{0,127}$/, 'must be a CloudFormation stack name (letters, digits, dashes; a letter first)')
      .default('Grantline'),
  ),
  // Context from the command line is always a string, so coerce before checking.
  logRetentionDays: z.preprocess(
    unsetIfEmpty,
    z.coerce
      .number()
      .refine((days) => RETENTION_VALUES.includes(days), { message: `must be one of ${RETENTION_VALUES.join(', ')}` })
      .default(365),
  ),
  /** The custom bus for the audit feed, review summaries and offboarding events. */
  eventBusName: z.preprocess(unsetIfEmpty, z.string().regex(/^[A-Za-z0-9._-]{1,256}$/, 'must be an EventBridge bus name').default('grantline')),
  /** Send every CloudTrail write event of the account to the anomaly function (more invocations). */
  inWindowWatch: z.preprocess(
    (v) => (typeof v === 'string' && v !== '' ? v === 'true' ? true : v === 'false' ? false : v : unsetIfEmpty(v)),
    z.boolean({ error: 'must be true or false' }).default(false),
  ),
  /** Comma-separated user/role ARNs whose standing access the review accepts (break-glass users, pipelines). */
  reviewIgnorePrincipals: z.preprocess(
    (v) => (typeof v === 'string' ? v.split(',').map((s) => s.trim()).filter(Boolean) : unsetIfEmpty(v)),
    z.array(z.string().regex(/^arn:aws[a-z-]*:iam::\d{12}:(user|role)\/[\w+=,.@\/-]+$/, 'must be IAM user or role ARNs')).default([]),
  ),
});

export interface StackEnvironment {
  readonly account?: string;
  readonly region?: string;
}

export interface GrantlineConfig {
  /** Absolute path of the catalog file. */
  readonly catalogPath: string;
  readonly approverEmail?: string;
  readonly alertEmail?: string;
  readonly anomalyMode: 'alert' | 'revert';
  readonly stackName: string;
  readonly logRetention: RetentionDays;
  readonly eventBusName: string;
  readonly inWindowWatch: boolean;
  readonly reviewIgnorePrincipals: readonly string[];
  /** From CDK_DEFAULT_ACCOUNT/REGION: environment-agnostic when unset, never looked up. */
  readonly env: StackEnvironment;
}

export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Invalid Grantline configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/**
 * Validates the context and returns the configuration. Every problem names the context key, so a
 * typo in `cdk synth -c ...` says which flag to fix.
 */
export function readConfig(context: (key: ContextKey) => unknown, processEnv: NodeJS.ProcessEnv = process.env): GrantlineConfig {
  const raw = Object.fromEntries(CONTEXT_KEYS.map((key) => [key, context(key)]));
  const parsed = GrantlineContext.safeParse(raw);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((issue) => `context "${issue.path.join('.') || '(root)'}": ${issue.message}`));
  }
  const c = parsed.data;
  const account = processEnv['CDK_DEFAULT_ACCOUNT'] || undefined;
  const region = processEnv['CDK_DEFAULT_REGION'] || undefined;
  return {
    // Relative to the repository (where cdk.json lives), whatever the caller's working directory.
    catalogPath: path.resolve(REPO_ROOT, c.catalog),
    ...(c.approverEmail ? { approverEmail: c.approverEmail } : {}),
    ...(c.alertEmail ? { alertEmail: c.alertEmail } : {}),
    anomalyMode: c.anomalyMode,
    stackName: c.stackName,
    logRetention: c.logRetentionDays as RetentionDays,
    eventBusName: c.eventBusName,
    inWindowWatch: c.inWindowWatch,
    reviewIgnorePrincipals: c.reviewIgnorePrincipals,
    env: { ...(account ? { account } : {}), ...(region ? { region } : {}) },
  };
}
