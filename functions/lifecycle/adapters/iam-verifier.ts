import {
  type IAMClient,
  ListAttachedRolePoliciesCommand,
  ListAttachedUserPoliciesCommand,
  ListGroupsForUserCommand,
  ListRolePoliciesCommand,
  ListUserPoliciesCommand,
} from '@aws-sdk/client-iam';
import { translateIamError } from '../../access/adapters/iam.js';
import type { IamChange, PrincipalRef } from '../../access/domain/grant-plan.js';
import type { PrincipalVerifier } from '../domain/ports.js';

function isNoSuchEntity(err: unknown): boolean {
  const name = (err as { name?: string })?.name;
  return name === 'NoSuchEntityException' || name === 'NoSuchEntity';
}

/**
 * Lists what IAM holds for one principal (inline policy names, attached policies, groups) — a few
 * paginated calls, however many objects were removed — and reports the changes still present.
 * A principal that no longer exists holds nothing.
 */
export class SdkPrincipalVerifier implements PrincipalVerifier {
  constructor(private readonly iam: IAMClient) {}

  async stillPresent(principal: PrincipalRef, changes: readonly IamChange[]): Promise<IamChange[]> {
    const kinds = new Set(changes.map((c) => c.kind));
    try {
      const inline = kinds.has('inline-policy') ? await this.inlineNames(principal) : new Set<string>();
      const attached = kinds.has('managed-policy') ? await this.attachedArns(principal) : new Set<string>();
      const groups = kinds.has('group') && principal.type === 'user' ? await this.groupNames(principal.name) : new Set<string>();
      return changes.filter((c) =>
        c.kind === 'inline-policy' ? inline.has(c.policyName) : c.kind === 'managed-policy' ? attached.has(c.policyArn) : groups.has(c.groupName),
      );
    } catch (err) {
      if (isNoSuchEntity(err)) return [];
      throw translateIamError(err, `read back ${principal.type}/${principal.name}`);
    }
  }

  private async inlineNames({ type, name }: PrincipalRef): Promise<Set<string>> {
    const names = new Set<string>();
    let Marker: string | undefined;
    do {
      const out =
        type === 'user'
          ? await this.iam.send(new ListUserPoliciesCommand({ UserName: name, Marker }))
          : await this.iam.send(new ListRolePoliciesCommand({ RoleName: name, Marker }));
      for (const n of out.PolicyNames ?? []) names.add(n);
      Marker = out.IsTruncated ? out.Marker : undefined;
    } while (Marker);
    return names;
  }

  private async attachedArns({ type, name }: PrincipalRef): Promise<Set<string>> {
    const arns = new Set<string>();
    let Marker: string | undefined;
    do {
      const out =
        type === 'user'
          ? await this.iam.send(new ListAttachedUserPoliciesCommand({ UserName: name, Marker }))
          : await this.iam.send(new ListAttachedRolePoliciesCommand({ RoleName: name, Marker }));
      for (const p of out.AttachedPolicies ?? []) if (p.PolicyArn) arns.add(p.PolicyArn);
      Marker = out.IsTruncated ? out.Marker : undefined;
    } while (Marker);
    return arns;
  }

  private async groupNames(userName: string): Promise<Set<string>> {
    const names = new Set<string>();
    let Marker: string | undefined;
    do {
      const out = await this.iam.send(new ListGroupsForUserCommand({ UserName: userName, Marker }));
      for (const g of out.Groups ?? []) if (g.GroupName) names.add(g.GroupName);
      Marker = out.IsTruncated ? out.Marker : undefined;
    } while (Marker);
    return names;
  }
}
