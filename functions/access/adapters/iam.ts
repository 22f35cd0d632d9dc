import {
  AddUserToGroupCommand,
  AttachRolePolicyCommand,
  AttachUserPolicyCommand,
  DeleteRolePolicyCommand,
  DeleteUserPolicyCommand,
  DetachRolePolicyCommand,
  DetachUserPolicyCommand,
  GetRolePolicyCommand,
  GetUserPolicyCommand,
  type IAMClient,
  ListAttachedRolePoliciesCommand,
  ListAttachedUserPoliciesCommand,
  ListGroupsForUserCommand,
  PutRolePolicyCommand,
  PutUserPolicyCommand,
  RemoveUserFromGroupCommand,
} from '@aws-sdk/client-iam';
import { IamPermanentError, IamTransientError } from '../domain/errors.js';
import type { IamChange } from '../domain/grant-plan.js';
import type { IamGateway } from '../domain/ports.js';

const TRANSIENT = new Set([
  'Throttling',
  'ThrottlingException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'ServiceFailure',
  'ServiceFailureException',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'InternalFailure',
  'ConcurrentModification',
  'ConcurrentModificationException',
  'TimeoutError',
  'ECONNRESET',
]);

function isNoSuchEntity(err: unknown): boolean {
  const name = (err as { name?: string })?.name;
  return name === 'NoSuchEntityException' || name === 'NoSuchEntity';
}

/** SDK errors become the two errors the state machine knows: retry (transient) or give up. */
export function translateIamError(err: unknown, what: string): Error {
  const e = err as { name?: string; message?: string; $metadata?: { httpStatusCode?: number }; $retryable?: unknown };
  const status = e?.$metadata?.httpStatusCode ?? 0;
  if (TRANSIENT.has(e?.name ?? '') || status >= 500 || e?.$retryable) {
    return new IamTransientError(`${what}: ${e?.name ?? 'Error'}: ${e?.message ?? String(err)}`, err);
  }
  return new IamPermanentError(`${what}: ${e?.name ?? 'Error'}: ${e?.message ?? String(err)}`, err);
}

export class SdkIamGateway implements IamGateway {
  constructor(private readonly iam: IAMClient) {}

  async apply(change: IamChange): Promise<{ changed: boolean }> {
    const { type, name } = change.principal;
    try {
      switch (change.kind) {
        case 'managed-policy':
          if (type === 'user') await this.iam.send(new AttachUserPolicyCommand({ UserName: name, PolicyArn: change.policyArn }));
          else await this.iam.send(new AttachRolePolicyCommand({ RoleName: name, PolicyArn: change.policyArn }));
          break;
        case 'inline-policy': {
          const PolicyDocument = JSON.stringify(change.document);
          if (type === 'user') await this.iam.send(new PutUserPolicyCommand({ UserName: name, PolicyName: change.policyName, PolicyDocument }));
          else await this.iam.send(new PutRolePolicyCommand({ RoleName: name, PolicyName: change.policyName, PolicyDocument }));
          break;
        }
        case 'group':
          if (type !== 'user') throw new IamPermanentError('Only IAM users can be added to a group');
          await this.iam.send(new AddUserToGroupCommand({ UserName: name, GroupName: change.groupName }));
          break;
      }
      return { changed: true };
    } catch (err) {
      if (err instanceof IamPermanentError) throw err;
      throw translateIamError(err, `grant ${change.kind} to ${type}/${name}`);
    }
  }

  /** Removing what is already gone (NoSuchEntity) is success: revoke is idempotent. */
  async remove(change: IamChange): Promise<{ changed: boolean }> {
    const { type, name } = change.principal;
    try {
      switch (change.kind) {
        case 'managed-policy':
          if (type === 'user') await this.iam.send(new DetachUserPolicyCommand({ UserName: name, PolicyArn: change.policyArn }));
          else await this.iam.send(new DetachRolePolicyCommand({ RoleName: name, PolicyArn: change.policyArn }));
          break;
        case 'inline-policy':
          if (type === 'user') await this.iam.send(new DeleteUserPolicyCommand({ UserName: name, PolicyName: change.policyName }));
          else await this.iam.send(new DeleteRolePolicyCommand({ RoleName: name, PolicyName: change.policyName }));
          break;
        case 'group':
          await this.iam.send(new RemoveUserFromGroupCommand({ UserName: name, GroupName: change.groupName }));
          break;
      }
      return { changed: true };
    } catch (err) {
      if (isNoSuchEntity(err)) return { changed: false };
      throw translateIamError(err, `revoke ${change.kind} from ${type}/${name}`);
    }
  }

  async isPresent(change: IamChange): Promise<boolean> {
    const { type, name } = change.principal;
    try {
      switch (change.kind) {
        case 'managed-policy': {
          let Marker: string | undefined;
          do {
            const out =
              type === 'user'
                ? await this.iam.send(new ListAttachedUserPoliciesCommand({ UserName: name, Marker }))
                : await this.iam.send(new ListAttachedRolePoliciesCommand({ RoleName: name, Marker }));
            if (out.AttachedPolicies?.some((p) => p.PolicyArn === change.policyArn)) return true;
            Marker = out.IsTruncated ? out.Marker : undefined;
          } while (Marker);
          return false;
        }
        case 'inline-policy':
          if (type === 'user') await this.iam.send(new GetUserPolicyCommand({ UserName: name, PolicyName: change.policyName }));
          else await this.iam.send(new GetRolePolicyCommand({ RoleName: name, PolicyName: change.policyName }));
          return true;
        case 'group': {
          let Marker: string | undefined;
          do {
            const out = await this.iam.send(new ListGroupsForUserCommand({ UserName: name, Marker }));
            if (out.Groups?.some((g) => g.GroupName === change.groupName)) return true;
            Marker = out.IsTruncated ? out.Marker : undefined;
          } while (Marker);
          return false;
        }
      }
    } catch (err) {
      if (isNoSuchEntity(err)) return false;
      throw translateIamError(err, `read back ${change.kind} of ${type}/${name}`);
    }
  }
}
