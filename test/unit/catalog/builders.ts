import { stringify } from 'yaml';
import { checkCatalog } from '../../../functions/catalog/checks.js';
import { CatalogError, parseCatalog } from '../../../functions/catalog/loader.js';
import { Catalog, type CatalogInput } from '../../../functions/catalog/schema.js';

export const ACCOUNT = '000000000000';
export const user = (name: string) => `arn:aws:iam::${ACCOUNT}:user/${name}`;
export const role = (name: string) => `arn:aws:iam::${ACCOUNT}:role/${name}`;
export const session = (roleName: string, name: string) => `arn:aws:sts::${ACCOUNT}:assumed-role/${roleName}/${name}`;

export type EntitlementInput = CatalogInput['entitlements'][number];

/** alice: developers; bob, carol: sre-leads; carol: admins. One entitlement that passes every check. */
export function catalogInput(): CatalogInput {
  return {
    version: 1,
    account: ACCOUNT,
    admins: ['admins'],
    groups: { developers: [user('alice')], 'sre-leads': [user('bob'), user('carol')], admins: [user('carol')] },
    entitlements: [
      {
        id: 'prod-read',
        description: 'Read-only access to production',
        grant: { type: 'managed-policy', policyArn: 'arn:aws:iam::aws:policy/ReadOnlyAccess' },
        eligible: ['developers'],
        maxDuration: 'PT2H',
        approval: { approvers: ['sre-leads'], required: 1 },
      },
    ],
  };
}

/** The first entitlement of a catalog input, for tests that change it. */
export const first = (input: CatalogInput): EntitlementInput => input.entitlements[0];

export const inlinePolicy = (...Statement: unknown[]) => ({ type: 'inline-policy', policy: { Statement } }) as EntitlementInput['grant'];

/** Semantic problems of a schema-valid catalog input after `change`. */
export function checkProblems(change: (input: CatalogInput) => void = () => {}): string[] {
  const input = catalogInput();
  change(input);
  return checkCatalog(Catalog.parse(input));
}

/** Every problem the loader reports for a document (schema and semantic), [] when it loads. */
export function loaderProblems(doc: unknown): string[] {
  try {
    parseCatalog(stringify(doc));
    return [];
  } catch (err) {
    if (err instanceof CatalogError) return err.problems;
    throw err;
  }
}
