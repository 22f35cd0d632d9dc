import 'aws-sdk-client-mock-vitest/extend';
import {
  AddUserToGroupCommand,
  AttachRolePolicyCommand,
  AttachUserPolicyCommand,
  DeleteRolePolicyCommand,
  DeleteUserPolicyCommand,
  DetachUserPolicyCommand,
  GetUserPolicyCommand,
  IAMClient,
  ListAttachedRolePoliciesCommand,
  ListAttachedUserPoliciesCommand,
  ListGroupsForUserCommand,
  MalformedPolicyDocumentException,
  NoSuchEntityException,
  PutRolePolicyCommand,
  PutUserPolicyCommand,
  RemoveUserFromGroupCommand,
  ServiceFailureException,
} from '@aws-sdk/client-iam';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { SdkIamGateway } from '../../functions/access/adapters/iam.js';
import { IamPermanentError, IamTransientError } from '../../functions/access/domain/errors.js';
import { planGrant, type IamChange } from '../../functions/access/domain/grant-plan.js';
import { POLICIES, roleArn } from '../helpers/catalog.js';
import { requestState } from '../helpers/requests.js';

const iamMock = mockClient(IAMClient);
const gateway = new SdkIamGateway(new IAMClient({ region: 'us-east-1' }));

const EXPIRES = '2030-01-15T12:00:00.000Z';
const userPolicy: IamChange = { kind: 'managed-policy', principal: { type: 'user', name: 'alice' }, policyArn: POLICIES.readOnly };
const rolePolicy: IamChange = { kind: 'managed-policy', principal: { type: 'role', name: 'ops' }, policyArn: POLICIES.readOnly };
const group: IamChange = { kind: 'group', principal: { type: 'user', name: 'alice' }, groupName: 'BillingReaders' };
const inlineFor = (principal: string) =>
  planGrant(
    requestState({
      id: 'req-7',
      principal,
      grant: { type: 'inline-policy', policy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }] } },
    }),
    EXPIRES,
  );

const noSuchEntity = () => new NoSuchEntityException({ message: 'The user with name alice cannot be found.', $metadata: { httpStatusCode: 404 } });
const throttling = () => Object.assign(new Error('Rate exceeded'), { name: 'Throttling', $metadata: { httpStatusCode: 400 } });

afterEach(() => {
  iamMock.reset();
});

describe('SdkIamGateway.apply', () => {
  it('attaches a managed policy to a user', async () => {
    iamMock.on(AttachUserPolicyCommand).resolves({});

    expect(await gateway.apply(userPolicy)).toEqual({ changed: true });

    expect(iamMock).toHaveReceivedCommandWith(AttachUserPolicyCommand, { UserName: 'alice', PolicyArn: POLICIES.readOnly });
  });

  it('attaches a managed policy to a role', async () => {
    iamMock.on(AttachRolePolicyCommand).resolves({});

    await gateway.apply(rolePolicy);

    expect(iamMock).toHaveReceivedCommandWith(AttachRolePolicyCommand, { RoleName: 'ops', PolicyArn: POLICIES.readOnly });
    expect(iamMock).not.toHaveReceivedCommand(AttachUserPolicyCommand);
  });

  it('puts a fenced inline policy on a user', async () => {
    // Prepare
    iamMock.on(PutUserPolicyCommand).resolves({});

    // Act
    await gateway.apply(inlineFor('arn:aws:iam::000000000000:user/alice'));

    // Assess
    const input = iamMock.commandCalls(PutUserPolicyCommand)[0]!.args[0].input;
    expect(input).toMatchObject({ UserName: 'alice', PolicyName: 'grantline-req-7' });
    expect(JSON.parse(input.PolicyDocument!).Statement[0].Condition).toEqual({ DateLessThan: { 'aws:CurrentTime': EXPIRES } });
  });

  it('puts an inline policy on a role', async () => {
    iamMock.on(PutRolePolicyCommand).resolves({});

    await gateway.apply(inlineFor(roleArn('ops')));

    expect(iamMock).toHaveReceivedCommandWith(PutRolePolicyCommand, { RoleName: 'ops', PolicyName: 'grantline-req-7' });
  });

  it('adds a user to a group', async () => {
    iamMock.on(AddUserToGroupCommand).resolves({});

    await gateway.apply(group);

    expect(iamMock).toHaveReceivedCommandWith(AddUserToGroupCommand, { UserName: 'alice', GroupName: 'BillingReaders' });
  });

  it('refuses to add a role to a group without calling IAM', async () => {
    await expect(gateway.apply({ ...group, principal: { type: 'role', name: 'ops' } })).rejects.toBeInstanceOf(IamPermanentError);

    expect(iamMock).not.toHaveReceivedAnyCommand();
  });

  it('turns throttling into IamTransientError for the state machine to retry', async () => {
    iamMock.on(AttachUserPolicyCommand).rejects(throttling());

    await expect(gateway.apply(userPolicy)).rejects.toMatchObject({ name: 'IamTransientError', message: expect.stringContaining('Throttling') });
  });

  it('turns an IAM server failure into IamTransientError', async () => {
    iamMock.on(AttachUserPolicyCommand).rejects(new ServiceFailureException({ message: 'internal', $metadata: { httpStatusCode: 500 } }));

    await expect(gateway.apply(userPolicy)).rejects.toBeInstanceOf(IamTransientError);
  });

  it('turns a malformed policy into IamPermanentError', async () => {
    iamMock.on(PutUserPolicyCommand).rejects(new MalformedPolicyDocumentException({ message: 'bad', $metadata: { httpStatusCode: 400 } }));

    const attempt = gateway.apply(inlineFor('arn:aws:iam::000000000000:user/alice'));

    await expect(attempt).rejects.toBeInstanceOf(IamPermanentError);
    await expect(attempt).rejects.toMatchObject({ name: 'IamPermanentError' });
  });

  it('turns a missing principal on grant into IamPermanentError', async () => {
    iamMock.on(AttachUserPolicyCommand).rejects(noSuchEntity());

    await expect(gateway.apply(userPolicy)).rejects.toBeInstanceOf(IamPermanentError);
  });
});

describe('SdkIamGateway.remove', () => {
  it('detaches a managed policy from a user', async () => {
    iamMock.on(DetachUserPolicyCommand).resolves({});

    expect(await gateway.remove(userPolicy)).toEqual({ changed: true });
    expect(iamMock).toHaveReceivedCommandWith(DetachUserPolicyCommand, { UserName: 'alice', PolicyArn: POLICIES.readOnly });
  });

  it('deletes an inline policy from a user or a role', async () => {
    iamMock.on(DeleteUserPolicyCommand).resolves({}).on(DeleteRolePolicyCommand).resolves({});

    await gateway.remove(inlineFor('arn:aws:iam::000000000000:user/alice'));
    await gateway.remove(inlineFor(roleArn('ops')));

    expect(iamMock).toHaveReceivedCommandWith(DeleteUserPolicyCommand, { UserName: 'alice', PolicyName: 'grantline-req-7' });
    expect(iamMock).toHaveReceivedCommandWith(DeleteRolePolicyCommand, { RoleName: 'ops', PolicyName: 'grantline-req-7' });
  });

  it('removes a user from a group', async () => {
    iamMock.on(RemoveUserFromGroupCommand).resolves({});

    await gateway.remove(group);

    expect(iamMock).toHaveReceivedCommandWith(RemoveUserFromGroupCommand, { UserName: 'alice', GroupName: 'BillingReaders' });
  });

  it.each([
    ['a detached policy', userPolicy],
    ['a deleted inline policy', inlineFor('arn:aws:iam::000000000000:user/alice')],
    ['a group membership', group],
  ])('treats %s that is already gone (NoSuchEntity) as success without change', async (_what, change) => {
    iamMock.onAnyCommand().rejects(noSuchEntity());

    expect(await gateway.remove(change)).toEqual({ changed: false });
  });

  it('turns throttling on revoke into IamTransientError', async () => {
    iamMock.on(DetachUserPolicyCommand).rejects(throttling());

    await expect(gateway.remove(userPolicy)).rejects.toBeInstanceOf(IamTransientError);
  });
});

describe('SdkIamGateway.isPresent', () => {
  it('follows the Marker through every page of attached policies', async () => {
    // Prepare
    iamMock
      .on(ListAttachedUserPoliciesCommand)
      .resolvesOnce({ AttachedPolicies: [{ PolicyArn: 'arn:aws:iam::aws:policy/Other' }], IsTruncated: true, Marker: 'm1' })
      .resolvesOnce({ AttachedPolicies: [{ PolicyArn: POLICIES.readOnly }], IsTruncated: false });

    // Act
    const present = await gateway.isPresent(userPolicy);

    // Assess
    expect(present).toBe(true);
    expect(iamMock).toHaveReceivedCommandTimes(ListAttachedUserPoliciesCommand, 2);
    expect(iamMock).toHaveReceivedNthCommandWith(ListAttachedUserPoliciesCommand, 2, { UserName: 'alice', Marker: 'm1' });
  });

  it('answers false when no page has the policy', async () => {
    iamMock
      .on(ListAttachedRolePoliciesCommand)
      .resolvesOnce({ AttachedPolicies: [], IsTruncated: true, Marker: 'm1' })
      .resolvesOnce({ AttachedPolicies: [{ PolicyArn: POLICIES.admin }], IsTruncated: false });

    expect(await gateway.isPresent(rolePolicy)).toBe(false);
    expect(iamMock).toHaveReceivedCommandTimes(ListAttachedRolePoliciesCommand, 2);
  });

  it('finds a group membership across pages', async () => {
    iamMock
      .on(ListGroupsForUserCommand)
      .resolvesOnce({ Groups: [{ GroupName: 'Other', GroupId: 'g1', Arn: 'a', Path: '/', CreateDate: new Date() }], IsTruncated: true, Marker: 'm' })
      .resolvesOnce({ Groups: [{ GroupName: 'BillingReaders', GroupId: 'g2', Arn: 'b', Path: '/', CreateDate: new Date() }] });

    expect(await gateway.isPresent(group)).toBe(true);
  });

  it('reads an inline policy back, and NoSuchEntity means it is not there', async () => {
    iamMock.on(GetUserPolicyCommand).resolvesOnce({ UserName: 'alice', PolicyName: 'grantline-req-7', PolicyDocument: '{}' }).rejectsOnce(noSuchEntity());

    expect(await gateway.isPresent(inlineFor('arn:aws:iam::000000000000:user/alice'))).toBe(true);
    expect(await gateway.isPresent(inlineFor('arn:aws:iam::000000000000:user/alice'))).toBe(false);
  });
});
