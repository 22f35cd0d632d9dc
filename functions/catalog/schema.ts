import { z } from 'zod';
import { MAX_DURATION_SECONDS, parseDuration } from '../access/domain/duration.js';

/** A catalog member: an IAM user or role, or one assumed-role session (Identity Center users share a role). */
export const PrincipalArn = z
  .string()
  .regex(
    /^arn:aws[a-z-]*:(iam::\d{12}:(user|role)\/[\w+=,.@\/-]+|sts::\d{12}:assumed-role\/[\w+=,.@-]+\/[\w+=,.@-]+)$/,
    'must be an IAM user or role ARN (or an assumed-role session ARN)',
  );

const Duration = z.string().refine((s) => parseDuration(s) !== undefined, {
  message: 'must be a duration like PT30M, PT2H, 30m or 2h',
}).refine((s) => (parseDuration(s) ?? 0) <= MAX_DURATION_SECONDS, { message: 'must be at most 12 hours' });

const Name = z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'must be lowercase letters, digits and dashes');

const Hours = z
  .string()
  .regex(/^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-4]):[0-5]\d$/, 'must look like 08:00-20:00');

const TimeZone = z.string().refine(
  (tz) => {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: tz });
      return true;
    } catch {
      return false;
    }
  },
  { message: 'must be an IANA time zone like Europe/Berlin' },
);

const StringOrList = z.union([z.string(), z.array(z.string()).nonempty()], { error: 'must be a string or a non-empty list of strings' });

export const PolicyStatement = z
  .object({
    Sid: z.string().optional(),
    Effect: z.enum(['Allow', 'Deny']),
    Action: StringOrList.optional(),
    NotAction: StringOrList.optional(),
    Resource: StringOrList.optional(),
    NotResource: StringOrList.optional(),
    Condition: z.record(z.string(), z.record(z.string(), z.union([z.string(), z.array(z.string()), z.boolean(), z.number()]))).optional(),
  })
  .strict()
  .refine((s) => (s.Action === undefined) !== (s.NotAction === undefined), {
    message: 'a statement needs exactly one of Action or NotAction',
  })
  .refine((s) => (s.Resource === undefined) !== (s.NotResource === undefined), {
    message: 'a statement needs exactly one of Resource or NotResource',
  });
export type PolicyStatement = z.infer<typeof PolicyStatement>;

export const PolicyDocument = z
  .object({
    Version: z.literal('2012-10-17').default('2012-10-17'),
    Statement: z.array(PolicyStatement).nonempty(),
  })
  .strict();
export type PolicyDocument = z.infer<typeof PolicyDocument>;

export const GrantSpec = z.discriminatedUnion('type', [
  z.object({ type: z.literal('managed-policy'), policyArn: z.string().regex(/^arn:aws[a-z-]*:iam::(aws|\d{12}):policy\/[\w+=,.@\/-]+$/, 'must be an IAM policy ARN') }).strict(),
  z.object({ type: z.literal('inline-policy'), policy: PolicyDocument }).strict(),
  z.object({ type: z.literal('group'), groupName: z.string().regex(/^[\w+=,.@-]{1,128}$/, 'must be an IAM group name') }).strict(),
]);
export type GrantSpec = z.infer<typeof GrantSpec>;

export const AutoApproval = z
  .object({
    groups: z.array(Name).nonempty(),
    maxDuration: Duration,
    hours: Hours.optional(),
    timezone: TimeZone.default('UTC'),
  })
  .strict();
export type AutoApproval = z.infer<typeof AutoApproval>;

export const Approval = z
  .object({
    approvers: z.array(Name).default([]),
    required: z.number().int().min(1).max(5).default(1),
    timeout: Duration.default('PT1H'),
    auto: AutoApproval.optional(),
  })
  .strict();
export type Approval = z.infer<typeof Approval>;

export const Entitlement = z
  .object({
    id: Name,
    description: z.string().min(1).max(500),
    grant: GrantSpec,
    eligible: z.array(Name).nonempty(),
    maxDuration: Duration,
    requireTicket: z
      .string()
      .refine((r) => {
        try {
          new RegExp(r);
          return true;
        } catch {
          return false;
        }
      }, 'must be a valid regular expression')
      .optional(),
    breakGlass: z.boolean().default(false),
    approval: Approval,
  })
  .strict();
export type Entitlement = z.infer<typeof Entitlement>;

export const Catalog = z
  .object({
    version: z.literal(1, { error: 'must be 1 (the catalog format version)' }),
    account: z.string().regex(/^\d{12}$/, 'must be a 12-digit AWS account id'),
    admins: z.array(Name).default([]),
    groups: z.record(Name, z.array(PrincipalArn)),
    entitlements: z.array(Entitlement).nonempty(),
  })
  .strict();
export type Catalog = z.infer<typeof Catalog>;
export type CatalogInput = z.input<typeof Catalog>;
