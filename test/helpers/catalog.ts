import { Catalog, type CatalogInput } from '../../functions/catalog/schema.js';
import type { CatalogSnapshot } from '../../functions/access/domain/ports.js';

export const ACCOUNT = '000000000000';
export const CATALOG_VERSION = 'test-catalog-v1';

export const userArn = (name: string) => `arn:aws:iam::${ACCOUNT}:user/${name}`;
export const roleArn = (name: string) => `arn:aws:iam::${ACCOUNT}:role/${name}`;
export const sessionArn = (role: string, session: string) => `arn:aws:sts::${ACCOUNT}:assumed-role/${role}/${session}`;

export const ARNS = {
  alice: userArn('alice'),
  bob: userArn('bob'),
  carol: userArn('carol'),
  dave: userArn('dave'),
} as const;

export const POLICIES = {
  readOnly: 'arn:aws:iam::aws:policy/ReadOnlyAccess',
  admin: 'arn:aws:iam::aws:policy/AdministratorAccess',
} as const;

/**
 * alice: developers + oncall; bob, carol: sre-leads; carol: admins; dave: contractors (eligible for nothing).
 *
 * - prod-read: managed policy, 1 approver, auto-approved for oncall up to PT1H, 08:00-20:00 Berlin time.
 * - prod-admin: inline policy, 2 approvers, ticket OPS-<n> required, no auto-approval.
 * - billing: group membership, 1 approver, approval window PT30M.
 * - break-glass: managed policy, break-glass (an auto rule exists and must never apply).
 */
export function catalogInput(): CatalogInput {
  return {
    version: 1,
    account: ACCOUNT,
    admins: ['admins'],
    groups: {
      developers: [ARNS.alice],
      oncall: [ARNS.alice],
      'sre-leads': [ARNS.bob, ARNS.carol],
      admins: [ARNS.carol],
      contractors: [ARNS.dave],
    },
    entitlements: [
      {
        id: 'prod-read',
        description: 'Read-only access to production',
        grant: { type: 'managed-policy', policyArn: POLICIES.readOnly },
        eligible: ['developers', 'sre-leads'],
        maxDuration: 'PT4H',
        approval: {
          approvers: ['sre-leads'],
          required: 1,
          timeout: 'PT1H',
          auto: { groups: ['oncall'], maxDuration: 'PT1H', hours: '08:00-20:00', timezone: 'Europe/Berlin' },
        },
      },
      {
        id: 'prod-admin',
        description: 'Write access to the production data bucket',
        grant: {
          type: 'inline-policy',
          policy: {
            Statement: [
              { Sid: 'Write', Effect: 'Allow', Action: ['s3:PutObject'], Resource: 'arn:aws:s3:::prod-data/*' },
              {
                Sid: 'FromVpn',
                Effect: 'Allow',
                Action: 's3:GetObject',
                Resource: 'arn:aws:s3:::prod-data/*',
                Condition: { IpAddress: { 'aws:SourceIp': '10.0.0.0/8' } },
              },
            ],
          },
        },
        eligible: ['developers', 'sre-leads'],
        maxDuration: 'PT2H',
        requireTicket: '^OPS-\\d+$',
        approval: { approvers: ['sre-leads'], required: 2, timeout: 'PT1H' },
      },
      {
        id: 'billing',
        description: 'Membership of the billing readers group',
        grant: { type: 'group', groupName: 'BillingReaders' },
        eligible: ['developers'],
        maxDuration: 'PT8H',
        approval: { approvers: ['sre-leads'], timeout: 'PT30M' },
      },
      {
        id: 'break-glass',
        description: 'Full administrator access for emergencies',
        grant: { type: 'managed-policy', policyArn: POLICIES.admin },
        eligible: ['developers', 'sre-leads'],
        maxDuration: 'PT1H',
        breakGlass: true,
        approval: { approvers: ['sre-leads'], auto: { groups: ['oncall'], maxDuration: 'PT1H' } },
      },
    ],
  };
}

/** A parsed catalog (defaults applied); `change` may edit the raw input first. */
export function buildCatalog(change?: (input: CatalogInput) => void): Catalog {
  const input = catalogInput();
  change?.(input);
  return Catalog.parse(input);
}

export function catalogSnapshot(catalog: Catalog = buildCatalog(), version = CATALOG_VERSION): CatalogSnapshot {
  return { catalog, version };
}

/** Adds users to a catalog group, e.g. 20 extra approvers for the race test. */
export function withMembers(group: string, members: readonly string[]) {
  return (input: CatalogInput) => {
    input.groups[group] = [...(input.groups[group] ?? []), ...members];
  };
}
