import {
  type AttachedPolicy,
  GetAccountAuthorizationDetailsCommand,
  type GetAccountAuthorizationDetailsCommandOutput,
  type IAMClient,
  type PolicyDetail,
} from '@aws-sdk/client-iam';
import { translateIamError } from '../../access/adapters/iam.js';
import { decodePolicyDocument } from '../domain/policy.js';
import type { AccountSnapshot, GroupSnapshot, IamInventory, InlinePolicy, RoleSnapshot, UserSnapshot } from '../domain/ports.js';

/** IAM's page maximum for GetAccountAuthorizationDetails. */
export const MAX_PAGE_SIZE = 1000;

const arns = (list: AttachedPolicy[] | undefined) => (list ?? []).flatMap((p) => (p.PolicyArn ? [p.PolicyArn] : []));
// Inline documents come URL-encoded from this API.
const inline = (list: PolicyDetail[] | undefined): InlinePolicy[] =>
  (list ?? []).flatMap((p) => (p.PolicyName ? [{ name: p.PolicyName, document: decodePolicyDocument(p.PolicyDocument) }] : []));

/**
 * The whole account (users, roles, groups, with attachments, inline policies and memberships) from
 * GetAccountAuthorizationDetails, a page of up to 1,000 entities per call: about N/1000 calls,
 * never one per principal. Managed policy documents are not read (they are judged by ARN).
 */
export class SdkIamInventory implements IamInventory {
  constructor(
    private readonly iam: IAMClient,
    private readonly pageSize = MAX_PAGE_SIZE,
  ) {}

  async snapshot(): Promise<{ snapshot: AccountSnapshot; calls: number }> {
    const users: UserSnapshot[] = [];
    const roles: RoleSnapshot[] = [];
    const groups: GroupSnapshot[] = [];
    let calls = 0;
    let Marker: string | undefined;
    do {
      calls++;
      let out: GetAccountAuthorizationDetailsCommandOutput;
      try {
        out = await this.iam.send(new GetAccountAuthorizationDetailsCommand({ Filter: ['User', 'Role', 'Group'], MaxItems: this.pageSize, Marker }));
      } catch (err) {
        throw translateIamError(err, 'read the account authorization details');
      }
      for (const u of out.UserDetailList ?? []) {
        if (!u.UserName || !u.Arn) continue;
        users.push({ name: u.UserName, arn: u.Arn, path: u.Path ?? '/', attachedPolicies: arns(u.AttachedManagedPolicies), inlinePolicies: inline(u.UserPolicyList), groups: u.GroupList ?? [] });
      }
      for (const r of out.RoleDetailList ?? []) {
        if (!r.RoleName || !r.Arn) continue;
        roles.push({ name: r.RoleName, arn: r.Arn, path: r.Path ?? '/', attachedPolicies: arns(r.AttachedManagedPolicies), inlinePolicies: inline(r.RolePolicyList) });
      }
      for (const g of out.GroupDetailList ?? []) {
        if (!g.GroupName || !g.Arn) continue;
        groups.push({ name: g.GroupName, arn: g.Arn, path: g.Path ?? '/', attachedPolicies: arns(g.AttachedManagedPolicies), inlinePolicies: inline(g.GroupPolicyList) });
      }
      Marker = out.IsTruncated ? out.Marker : undefined;
    } while (Marker);
    return { snapshot: { users, roles, groups }, calls };
  }
}
