import {
  DeleteGroupPolicyCommand,
  DeleteLoginProfileCommand,
  DeleteRolePolicyCommand,
  DeleteUserPolicyCommand,
  DetachGroupPolicyCommand,
  DetachRolePolicyCommand,
  DetachUserPolicyCommand,
  type IAMClient,
  RemoveUserFromGroupCommand,
  UpdateAccessKeyCommand,
} from '@aws-sdk/client-iam';
import { translateIamError } from '../../access/adapters/iam.js';
import type { IamRemediator, Remediation } from '../domain/ports.js';
import { describeRemediation } from '../domain/remediation.js';

function isNoSuchEntity(err: unknown): boolean {
  const name = (err as { name?: string })?.name;
  return name === 'NoSuchEntityException' || name === 'NoSuchEntity';
}

/** The IAM calls that undo untracked changes and leftovers; what is already gone counts as undone. */
export class SdkIamRemediator implements IamRemediator {
  constructor(private readonly iam: IAMClient) {}

  async undo(r: Remediation): Promise<{ changed: boolean }> {
    try {
      await this.send(r);
      return { changed: true };
    } catch (err) {
      if (isNoSuchEntity(err)) return { changed: false };
      throw translateIamError(err, describeRemediation(r)['api']!);
    }
  }

  private async send(r: Remediation): Promise<unknown> {
    switch (r.action) {
      case 'DetachPolicy': {
        const { type, name } = r.target;
        if (type === 'user') return this.iam.send(new DetachUserPolicyCommand({ UserName: name, PolicyArn: r.policyArn }));
        if (type === 'role') return this.iam.send(new DetachRolePolicyCommand({ RoleName: name, PolicyArn: r.policyArn }));
        return this.iam.send(new DetachGroupPolicyCommand({ GroupName: name, PolicyArn: r.policyArn }));
      }
      case 'DeleteInlinePolicy': {
        const { type, name } = r.target;
        if (type === 'user') return this.iam.send(new DeleteUserPolicyCommand({ UserName: name, PolicyName: r.policyName }));
        if (type === 'role') return this.iam.send(new DeleteRolePolicyCommand({ RoleName: name, PolicyName: r.policyName }));
        return this.iam.send(new DeleteGroupPolicyCommand({ GroupName: name, PolicyName: r.policyName }));
      }
      case 'RemoveUserFromGroup':
        return this.iam.send(new RemoveUserFromGroupCommand({ UserName: r.userName, GroupName: r.groupName }));
      case 'DeactivateAccessKey':
        return this.iam.send(new UpdateAccessKeyCommand({ UserName: r.userName, AccessKeyId: r.accessKeyId, Status: 'Inactive' }));
      case 'DeleteLoginProfile':
        return this.iam.send(new DeleteLoginProfileCommand({ UserName: r.userName }));
    }
  }
}
