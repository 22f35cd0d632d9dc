import { malformedPolicyDocument } from './errors.js';

export interface PolicyStatement {
  readonly Sid?: string;
  readonly Effect: 'Allow' | 'Deny';
  readonly Principal?: unknown;
  readonly NotPrincipal?: unknown;
  readonly Action?: string | readonly string[];
  readonly NotAction?: string | readonly string[];
  readonly Resource?: string | readonly string[];
  readonly NotResource?: string | readonly string[];
  readonly Condition?: Record<string, Record<string, string | readonly string[]>>;
}

export interface PolicyDocument {
  readonly Version: string;
  readonly Id?: string;
  readonly Statement: PolicyStatement | readonly PolicyStatement[];
}

/** Identity policies may not name a principal; trust policies must, and may not name resources. */
export type PolicyKind = 'identity' | 'trust';

const VERSIONS = new Set(['2012-10-17', '2008-10-17']);
const ACTION_PATTERN = /^(\*|[a-z0-9-]+:[a-z0-9*?]+)$/i;

/** Accepts a document as text (stored as submitted, like IAM) or as an object (serialised). */
export const toPolicyText = (document: string | object): string =>
  typeof document === 'string' ? document : JSON.stringify(document);

/** IAM returns policy documents URL-encoded (RFC 3986) in every Get/List response. */
export const encodePolicyDocument = (text: string): string => encodeURIComponent(text);

/** IAM's size quotas ignore whitespace. */
export const policySize = (text: string): number => text.replace(/\s/g, '').length;

/**
 * Checks what IAM checks before storing a policy and returns the parsed document.
 * Stricter than IAM in one place: `Version` is required (IAM defaults it to 2008-10-17, whose
 * lack of policy variables is a classic bug, so local mode refuses it).
 */
export function parsePolicyDocument(text: string, kind: PolicyKind = 'identity'): PolicyDocument {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw malformedPolicyDocument('Syntax errors in policy.');
  }
  if (!isRecord(parsed)) throw malformedPolicyDocument('Syntax errors in policy.');
  if (parsed.Version === undefined) throw malformedPolicyDocument('Policy document must specify a Version.');
  if (typeof parsed.Version !== 'string' || !VERSIONS.has(parsed.Version)) {
    throw malformedPolicyDocument('The policy failed legacy parsing');
  }
  const statements = Array.isArray(parsed.Statement) ? parsed.Statement : [parsed.Statement];
  if (parsed.Statement === undefined || statements.length === 0) {
    throw malformedPolicyDocument('Syntax errors in policy.');
  }
  statements.forEach((statement) => checkStatement(statement, kind));
  return parsed as unknown as PolicyDocument;
}

function checkStatement(statement: unknown, kind: PolicyKind): void {
  if (!isRecord(statement)) throw malformedPolicyDocument('Syntax errors in policy.');
  if (statement.Effect !== 'Allow' && statement.Effect !== 'Deny') {
    throw malformedPolicyDocument('Invalid effect: ' + String(statement.Effect));
  }
  const actions = statement.Action ?? statement.NotAction;
  if (actions === undefined) throw malformedPolicyDocument('Policy statement must contain actions.');
  if (!strings(actions).every((action) => ACTION_PATTERN.test(action))) {
    throw malformedPolicyDocument('Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.');
  }
  const hasPrincipal = statement.Principal !== undefined || statement.NotPrincipal !== undefined;
  const hasResource = statement.Resource !== undefined || statement.NotResource !== undefined;
  if (kind === 'identity') {
    if (hasPrincipal) throw malformedPolicyDocument('Policy document should not specify a principal.');
    if (!hasResource) throw malformedPolicyDocument('Policy statement must contain resources.');
    if (!strings(statement.Resource ?? statement.NotResource).every((resource) => resource.length > 0)) {
      throw malformedPolicyDocument('Syntax errors in policy.');
    }
  } else {
    if (!hasPrincipal) throw malformedPolicyDocument('Missing required field Principal');
    if (hasResource) throw malformedPolicyDocument('Has prohibited field Resource');
  }
  if (statement.Condition !== undefined && !isRecord(statement.Condition)) {
    throw malformedPolicyDocument('Syntax errors in policy.');
  }
}

function strings(value: unknown): string[] {
  const list = Array.isArray(value) ? value : [value];
  if (!list.every((item) => typeof item === 'string')) throw malformedPolicyDocument('Syntax errors in policy.');
  return list as string[];
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

export interface AwsManagedPolicyDefinition {
  readonly name: string;
  readonly path: string;
  readonly document: PolicyDocument;
}

const allowAll = (actions: string[]): PolicyDocument => ({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: actions, Resource: '*' }],
});

/**
 * A few AWS managed policies, abridged: enough for catalog entries and tests to grant
 * realistic access. Attaching any other `arn:aws:iam::aws:policy/...` fails with NoSuchEntity,
 * as it would in AWS for a policy that does not exist; add more with `defineAwsManagedPolicy`.
 */
export const AWS_MANAGED_POLICIES: readonly AwsManagedPolicyDefinition[] = [
  { name: 'AdministratorAccess', path: '/', document: allowAll(['*']) },
  {
    name: 'PowerUserAccess',
    path: '/',
    document: {
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', NotAction: ['iam:*', 'organizations:*', 'account:*'], Resource: '*' },
        {
          Effect: 'Allow',
          Action: [
            'account:GetAccountInformation',
            'account:ListRegions',
            'iam:CreateServiceLinkedRole',
            'iam:DeleteServiceLinkedRole',
            'iam:ListRoles',
            'organizations:DescribeOrganization',
          ],
          Resource: '*',
        },
      ],
    },
  },
  {
    name: 'ReadOnlyAccess',
    path: '/',
    document: allowAll([
      's3:Get*',
      's3:List*',
      'lambda:Get*',
      'lambda:List*',
      'ec2:Describe*',
      'iam:Get*',
      'iam:List*',
      'dynamodb:Describe*',
      'dynamodb:List*',
      'logs:Describe*',
      'logs:Get*',
      'cloudwatch:Describe*',
      'cloudwatch:Get*',
      'cloudwatch:List*',
    ]),
  },
  {
    name: 'IAMReadOnlyAccess',
    path: '/',
    document: allowAll(['iam:GenerateCredentialReport', 'iam:Get*', 'iam:List*', 'iam:SimulatePrincipalPolicy']),
  },
  { name: 'AmazonS3ReadOnlyAccess', path: '/', document: allowAll(['s3:Get*', 's3:List*', 's3:Describe*']) },
];
