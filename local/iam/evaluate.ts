// Local mode and tests only: @cloud-copilot/iam-simulate is AGPL-3.0 and must never reach a Lambda
// bundle. In AWS, grants are verified with IAM's own SimulatePrincipalPolicy.
import { runSimulation, type SimulationIdentityPolicy } from '@cloud-copilot/iam-simulate';
import { defaultPolicyDocument, type RoleEntity, type SimulatedIamAccount, type UserEntity } from './account.js';
import { parsePolicyDocument, toPolicyText } from './documents.js';
import { invalidInput, noSuchEntity } from './errors.js';

export type AccessDecision = 'allowed' | 'implicitDeny' | 'explicitDeny';

export interface AccessQuery {
  /** ARN of a user or role (arn:aws:iam::…:user/…, …:role/…) or of a session of a role (arn:aws:sts::…:assumed-role/…/…). */
  readonly principal: string;
  /** e.g. "s3:GetObject". */
  readonly action: string;
  /** ARN, or "*". */
  readonly resource: string;
  /** When the request happens; default the account's clock. Sets aws:CurrentTime and aws:EpochTime. */
  readonly at?: Date | undefined;
  /** Extra or overriding context keys, e.g. { 'aws:SourceIp': '203.0.113.9' }. */
  readonly context?: Readonly<Record<string, string | readonly string[]>> | undefined;
  /** Policies evaluated as if attached too (SimulatePrincipalPolicy's PolicyInputList). */
  readonly additionalPolicies?: readonly (string | object)[] | undefined;
}

interface ResolvedPrincipal {
  readonly arn: string;
  readonly entity: UserEntity | RoleEntity;
  readonly context: Record<string, string>;
}

const DECISIONS = {
  Allowed: 'allowed',
  ImplicitlyDenied: 'implicitDeny',
  ExplicitlyDenied: 'explicitDeny',
} as const satisfies Record<string, AccessDecision>;

/**
 * Decides a request by the principal's identity policies as they stand in the account: inline and
 * attached managed policies, and for a user those of every group it belongs to. No permission
 * boundaries, SCPs, session or resource policies are modelled.
 */
export async function simulateAccess(account: SimulatedIamAccount, query: AccessQuery): Promise<AccessDecision> {
  const principal = resolvePrincipal(account, query.principal);
  const at = query.at ?? account.clock();
  const identityPolicies = [
    ...identityPoliciesOf(principal.entity),
    ...(query.additionalPolicies ?? []).map((document, index) => {
      const text = toPolicyText(document);
      parsePolicyDocument(text);
      return { name: `input/${index + 1}`, policy: JSON.parse(text) as unknown };
    }),
  ];
  const result = await runSimulation(
    {
      request: {
        principal: principal.arn,
        action: query.action,
        resource: { resource: query.resource, accountId: resourceAccount(query.resource, account.accountId) },
        contextVariables: {
          // The library fills in no global keys; a time fence (DateLessThan aws:CurrentTime) needs these.
          'aws:CurrentTime': at.toISOString(),
          'aws:EpochTime': String(Math.floor(at.getTime() / 1000)),
          ...principal.context,
          ...copyContext(query.context),
        },
      },
      identityPolicies,
      serviceControlPolicies: [],
      resourceControlPolicies: [],
    },
    {},
  );
  if (result.resultType === 'error') {
    throw invalidInput(`Cannot simulate ${query.action} on ${query.resource}: ${JSON.stringify(result.errors)}`);
  }
  return DECISIONS[result.overallResult];
}

function identityPoliciesOf(entity: UserEntity | RoleEntity): SimulationIdentityPolicy[] {
  const sources = entity.kind === 'user' ? [entity, ...entity.groups.values()] : [entity];
  const policies: SimulationIdentityPolicy[] = [];
  const seen = new Set<string>();
  for (const source of sources) {
    for (const [name, text] of source.inlinePolicies) {
      policies.push({ name: `${source.kind}/${source.name}/${name}`, policy: JSON.parse(text) as unknown });
    }
    for (const policy of source.attachedPolicies.values()) {
      // A policy attached both to the user and to one of its groups counts once.
      if (seen.has(policy.key)) continue;
      seen.add(policy.key);
      policies.push({ name: policy.arn, policy: JSON.parse(defaultPolicyDocument(policy)) as unknown });
    }
  }
  return policies;
}

const USER_ARN = /^arn:aws:iam::(\d{12}):user\/(?:.*\/)?([^/]+)$/;
const ROLE_ARN = /^arn:aws:iam::(\d{12}):role\/(?:.*\/)?([^/]+)$/;
const SESSION_ARN = /^arn:aws:sts::(\d{12}):assumed-role\/([^/]+)\/([^/]+)$/;

function resolvePrincipal(account: SimulatedIamAccount, arn: string): ResolvedPrincipal {
  const [, accountId, name, sessionName] = USER_ARN.exec(arn) ?? ROLE_ARN.exec(arn) ?? SESSION_ARN.exec(arn) ?? [];
  if (accountId === undefined || name === undefined) throw invalidInput(`Invalid principal ARN: ${arn}`);
  const common = { 'aws:PrincipalAccount': account.accountId };
  if (USER_ARN.test(arn)) {
    const user = account.findUser(name);
    // Comparing whole ARNs also checks the account and the path.
    if (!user || user.arn !== arn) throw noSuchEntity(`The user with ARN ${arn} cannot be found.`);
    const context = { ...common, 'aws:PrincipalArn': user.arn, 'aws:PrincipalType': 'User', 'aws:username': user.name, 'aws:userid': user.id };
    return { arn, entity: user, context };
  }
  const role = account.findRole(name);
  const known = role && (sessionName === undefined ? role.arn === arn : accountId === account.accountId);
  if (!role || !known) throw noSuchEntity(`The role with ARN ${arn} cannot be found.`);
  const context = {
    ...common,
    'aws:PrincipalArn': role.arn,
    'aws:PrincipalType': 'AssumedRole',
    'aws:userid': `${role.id}:${sessionName ?? 'simulated'}`,
  };
  return { arn, entity: role, context };
}

/** The account owning the resource: from its ARN, else (s3 buckets, "*") the caller's. */
function resourceAccount(resource: string, fallback: string): string {
  const accountId = resource.split(':')[4];
  return accountId && /^\d{12}$/.test(accountId) ? accountId : fallback;
}

function copyContext(context: AccessQuery['context']): Record<string, string | string[]> {
  return Object.fromEntries(
    Object.entries(context ?? {}).map(([key, value]) => [key, typeof value === 'string' ? value : [...value]]),
  );
}
