import {
  AddUserToGroupCommand,
  AttachGroupPolicyCommand,
  AttachRolePolicyCommand,
  AttachUserPolicyCommand,
  CreateGroupCommand,
  CreateRoleCommand,
  CreateUserCommand,
  DeleteRolePolicyCommand,
  DeleteUserPolicyCommand,
  DetachUserPolicyCommand,
  EntityAlreadyExistsException,
  GetGroupCommand,
  GetGroupPolicyCommand,
  GetPolicyCommand,
  GetPolicyVersionCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  GetUserCommand,
  GetUserPolicyCommand,
  IAMClient,
  IAMServiceException,
  LimitExceededException,
  ListAttachedGroupPoliciesCommand,
  ListAttachedRolePoliciesCommand,
  ListAttachedUserPoliciesCommand,
  ListGroupPoliciesCommand,
  ListGroupsCommand,
  ListGroupsForUserCommand,
  ListRolePoliciesCommand,
  ListRolesCommand,
  ListUserPoliciesCommand,
  ListUsersCommand,
  MalformedPolicyDocumentException,
  NoSuchEntityException,
  PutGroupPolicyCommand,
  PutRolePolicyCommand,
  PutUserPolicyCommand,
  RemoveUserFromGroupCommand,
  DeleteUserCommand,
  paginateListUsers,
} from '@aws-sdk/client-iam';
import { beforeEach, describe, expect, it } from 'vitest';
import { SimulatedIamAccount, attachSimulatedIam, type SimulatedIamChange } from '../../../local/iam/index.js';
import { ADMIN, READ_ONLY, rejectionOf, simulatedClient } from './client.js';

const S3_READ = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }] };

describe('attachSimulatedIam', () => {
  let account: SimulatedIamAccount;
  let iam: IAMClient;

  beforeEach(() => {
    account = new SimulatedIamAccount({ accountId: '111122223333' });
    account.createUser('alice');
    account.createRole('deployer');
    account.createGroup('admins');
    iam = simulatedClient(account);
  });

  describe('entities', () => {
    it('returns a user with the ARN and id shape IAM uses', async () => {
      const { User, $metadata } = await iam.send(new GetUserCommand({ UserName: 'alice' }));

      expect(User).toMatchObject({ UserName: 'alice', Path: '/', Arn: 'arn:aws:iam::111122223333:user/alice' });
      expect(User?.UserId).toMatch(/^AIDA[0-9A-Z]{17}$/);
      expect(User?.CreateDate).toBeInstanceOf(Date);
      expect($metadata.httpStatusCode).toBe(200);
    });

    it('finds entities whatever the case of the name, as IAM does', async () => {
      const { User } = await iam.send(new GetUserCommand({ UserName: 'ALICE' }));

      expect(User?.UserName).toBe('alice');
    });

    it('throws the SDK NoSuchEntityException for an unknown user, role or group', async () => {
      const errors = [
        await rejectionOf(iam.send(new GetUserCommand({ UserName: 'nobody' }))),
        await rejectionOf(iam.send(new GetRoleCommand({ RoleName: 'nobody' }))),
        await rejectionOf(iam.send(new GetGroupCommand({ GroupName: 'nobody' }))),
        await rejectionOf(iam.send(new AttachUserPolicyCommand({ UserName: 'nobody', PolicyArn: READ_ONLY }))),
      ];

      for (const error of errors) {
        expect(error.name).toBe('NoSuchEntityException');
        expect(error).toBeInstanceOf(NoSuchEntityException);
        expect(error).toBeInstanceOf(IAMServiceException);
        expect(error.$fault).toBe('client');
        expect(error.$metadata).toMatchObject({ httpStatusCode: 404, attempts: 1 });
      }
      expect(errors[0]!.message).toBe('The user with name nobody cannot be found.');
    });

    it('creates users, roles and groups and refuses duplicates whatever their case', async () => {
      const { User } = await iam.send(new CreateUserCommand({ UserName: 'bob', Path: '/staff/', Tags: [{ Key: 'team', Value: 'a' }] }));
      const { Role } = await iam.send(
        new CreateRoleCommand({
          RoleName: 'reader',
          AssumeRolePolicyDocument: JSON.stringify({
            Version: '2012-10-17',
            Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
          }),
        }),
      );
      const { Group } = await iam.send(new CreateGroupCommand({ GroupName: 'readers' }));
      const duplicate = await rejectionOf(iam.send(new CreateUserCommand({ UserName: 'BOB' })));

      expect(User).toMatchObject({ Arn: 'arn:aws:iam::111122223333:user/staff/bob', Tags: [{ Key: 'team', Value: 'a' }] });
      expect(Role?.Arn).toBe('arn:aws:iam::111122223333:role/reader');
      expect(decodeURIComponent(Role!.AssumeRolePolicyDocument!)).toContain('lambda.amazonaws.com');
      expect(Group?.Arn).toBe('arn:aws:iam::111122223333:group/readers');
      expect(duplicate).toBeInstanceOf(EntityAlreadyExistsException);
      expect(duplicate.$metadata).toMatchObject({ httpStatusCode: 409 });
    });

    it('answers a missing required member with a ValidationError', async () => {
      const error = await rejectionOf(iam.send(new GetUserCommand({})));

      expect(error.name).toBe('ValidationError');
      expect(error).toBeInstanceOf(IAMServiceException);
    });

    it('rejects a role whose trust policy names no principal', async () => {
      const error = await rejectionOf(
        iam.send(new CreateRoleCommand({ RoleName: 'broken', AssumeRolePolicyDocument: JSON.stringify(S3_READ) })),
      );

      expect(error).toBeInstanceOf(MalformedPolicyDocumentException);
    });
  });

  describe('managed policies', () => {
    it('attaches a policy, and attaching it again succeeds without a second attachment', async () => {
      await iam.send(new AttachUserPolicyCommand({ UserName: 'alice', PolicyArn: READ_ONLY }));
      await iam.send(new AttachUserPolicyCommand({ UserName: 'alice', PolicyArn: READ_ONLY }));

      const { AttachedPolicies } = await iam.send(new ListAttachedUserPoliciesCommand({ UserName: 'alice' }));
      const { Policy } = await iam.send(new GetPolicyCommand({ PolicyArn: READ_ONLY }));
      expect(AttachedPolicies).toEqual([{ PolicyName: 'ReadOnlyAccess', PolicyArn: READ_ONLY }]);
      expect(Policy?.AttachmentCount).toBe(1);
    });

    it('refuses to detach a policy that is not attached', async () => {
      const error = await rejectionOf(iam.send(new DetachUserPolicyCommand({ UserName: 'alice', PolicyArn: READ_ONLY })));

      expect(error).toBeInstanceOf(NoSuchEntityException);
    });

    it('detaches an attached policy', async () => {
      account.attachUserPolicy('alice', READ_ONLY);

      await iam.send(new DetachUserPolicyCommand({ UserName: 'alice', PolicyArn: READ_ONLY }));

      expect(account.userView('alice')?.attachedPolicies).toEqual([]);
    });

    it('refuses a policy that does not exist', async () => {
      const error = await rejectionOf(
        iam.send(new AttachRolePolicyCommand({ RoleName: 'deployer', PolicyArn: 'arn:aws:iam::aws:policy/NoSuchPolicy' })),
      );

      expect(error).toBeInstanceOf(NoSuchEntityException);
      expect(error.message).toBe('Policy arn:aws:iam::aws:policy/NoSuchPolicy does not exist or is not attachable.');
    });

    it('throws LimitExceeded on the eleventh managed policy of a role', async () => {
      for (let index = 0; index < 10; index++) {
        const policy = account.createPolicy(`p${index}`, S3_READ);
        await iam.send(new AttachRolePolicyCommand({ RoleName: 'deployer', PolicyArn: policy.arn }));
      }
      const eleventh = account.createPolicy('p10', S3_READ);
      // The SDK retries LimitExceededException as throttling (against AWS too): skip the backoff here.
      const once = simulatedClient(account, {}, { maxAttempts: 1 });

      const error = await rejectionOf(once.send(new AttachRolePolicyCommand({ RoleName: 'deployer', PolicyArn: eleventh.arn })));

      expect(error.name).toBe('LimitExceededException');
      expect(error).toBeInstanceOf(LimitExceededException);
    });

    it('lists the policies attached to roles and groups', async () => {
      await iam.send(new AttachRolePolicyCommand({ RoleName: 'deployer', PolicyArn: READ_ONLY }));
      await iam.send(new AttachGroupPolicyCommand({ GroupName: 'admins', PolicyArn: ADMIN }));

      const role = await iam.send(new ListAttachedRolePoliciesCommand({ RoleName: 'deployer' }));
      const group = await iam.send(new ListAttachedGroupPoliciesCommand({ GroupName: 'admins' }));

      expect(role.AttachedPolicies?.map((policy) => policy.PolicyName)).toEqual(['ReadOnlyAccess']);
      expect(group.AttachedPolicies?.map((policy) => policy.PolicyName)).toEqual(['AdministratorAccess']);
    });

    it('returns policy versions with the document URL-encoded', async () => {
      const policy = account.createPolicy('s3-read', S3_READ);

      const { PolicyVersion } = await iam.send(new GetPolicyVersionCommand({ PolicyArn: policy.arn, VersionId: 'v1' }));
      const missing = await rejectionOf(iam.send(new GetPolicyVersionCommand({ PolicyArn: policy.arn, VersionId: 'v9' })));

      expect(PolicyVersion).toMatchObject({ VersionId: 'v1', IsDefaultVersion: true });
      expect(PolicyVersion?.Document).toBe(encodeURIComponent(JSON.stringify(S3_READ)));
      expect(missing).toBeInstanceOf(NoSuchEntityException);
    });
  });

  describe('inline policies', () => {
    it('stores a user policy and returns it URL-encoded, as AWS does', async () => {
      await iam.send(new PutUserPolicyCommand({ UserName: 'alice', PolicyName: 'grant', PolicyDocument: JSON.stringify(S3_READ) }));

      const { PolicyDocument, UserName, PolicyName } = await iam.send(new GetUserPolicyCommand({ UserName: 'alice', PolicyName: 'grant' }));

      expect({ UserName, PolicyName }).toEqual({ UserName: 'alice', PolicyName: 'grant' });
      expect(PolicyDocument).toMatch(/^%7B%22Version%22/);
      expect(JSON.parse(decodeURIComponent(PolicyDocument!))).toEqual(S3_READ);
    });

    it('replaces an existing inline policy of the same name', async () => {
      const wider = { ...S3_READ, Statement: [{ Effect: 'Allow', Action: 's3:*', Resource: '*' }] };
      await iam.send(new PutUserPolicyCommand({ UserName: 'alice', PolicyName: 'grant', PolicyDocument: JSON.stringify(S3_READ) }));
      await iam.send(new PutUserPolicyCommand({ UserName: 'alice', PolicyName: 'grant', PolicyDocument: JSON.stringify(wider) }));

      expect(account.userView('alice')?.inlinePolicies).toEqual({ grant: wider });
    });

    it.each([
      ['not JSON', '{"Version": '],
      ['without a Statement', JSON.stringify({ Version: '2012-10-17' })],
      ['without a Version', JSON.stringify({ Statement: S3_READ.Statement })],
      ['with a principal', JSON.stringify({ ...S3_READ, Statement: [{ ...S3_READ.Statement[0], Principal: '*' }] })],
      ['without resources', JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:GetObject' }] })],
    ])('rejects a document %s as MalformedPolicyDocument', async (_, PolicyDocument) => {
      const error = await rejectionOf(iam.send(new PutUserPolicyCommand({ UserName: 'alice', PolicyName: 'bad', PolicyDocument })));

      expect(error.name).toBe('MalformedPolicyDocumentException');
      expect(error).toBeInstanceOf(MalformedPolicyDocumentException);
      expect(error.$metadata).toMatchObject({ httpStatusCode: 400 });
      expect(account.userView('alice')?.inlinePolicies).toEqual({});
    });

    it('refuses inline policies beyond the 2,048-character budget of a user', async () => {
      const big = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::' + 'b'.repeat(1000) }] };
      await iam.send(new PutUserPolicyCommand({ UserName: 'alice', PolicyName: 'one', PolicyDocument: JSON.stringify(big) }));

      const once = simulatedClient(account, {}, { maxAttempts: 1 });

      const error = await rejectionOf(once.send(new PutUserPolicyCommand({ UserName: 'alice', PolicyName: 'two', PolicyDocument: JSON.stringify(big) })));

      expect(error).toBeInstanceOf(LimitExceededException);
    });

    it('throws NoSuchEntity when deleting or reading a missing inline policy', async () => {
      const deletion = await rejectionOf(iam.send(new DeleteUserPolicyCommand({ UserName: 'alice', PolicyName: 'nothing' })));
      const read = await rejectionOf(iam.send(new GetRolePolicyCommand({ RoleName: 'deployer', PolicyName: 'nothing' })));

      expect(deletion).toBeInstanceOf(NoSuchEntityException);
      expect(read).toBeInstanceOf(NoSuchEntityException);
    });

    it('serves role and group inline policies the same way', async () => {
      await iam.send(new PutRolePolicyCommand({ RoleName: 'deployer', PolicyName: 'r', PolicyDocument: JSON.stringify(S3_READ) }));
      await iam.send(new PutGroupPolicyCommand({ GroupName: 'admins', PolicyName: 'g', PolicyDocument: JSON.stringify(S3_READ) }));

      const roleNames = await iam.send(new ListRolePoliciesCommand({ RoleName: 'deployer' }));
      const groupNames = await iam.send(new ListGroupPoliciesCommand({ GroupName: 'admins' }));
      const group = await iam.send(new GetGroupPolicyCommand({ GroupName: 'admins', PolicyName: 'g' }));
      await iam.send(new DeleteRolePolicyCommand({ RoleName: 'deployer', PolicyName: 'r' }));

      expect(roleNames.PolicyNames).toEqual(['r']);
      expect(groupNames.PolicyNames).toEqual(['g']);
      expect(JSON.parse(decodeURIComponent(group.PolicyDocument!))).toEqual(S3_READ);
      expect(account.roleView('deployer')?.inlinePolicies).toEqual({});
    });
  });

  describe('group membership', () => {
    it('adds a user to a group, and adding again succeeds', async () => {
      await iam.send(new AddUserToGroupCommand({ UserName: 'alice', GroupName: 'admins' }));
      await iam.send(new AddUserToGroupCommand({ UserName: 'alice', GroupName: 'admins' }));

      const { Groups } = await iam.send(new ListGroupsForUserCommand({ UserName: 'alice' }));
      const { Users } = await iam.send(new GetGroupCommand({ GroupName: 'admins' }));
      expect(Groups?.map((group) => group.GroupName)).toEqual(['admins']);
      expect(Users?.map((user) => user.UserName)).toEqual(['alice']);
    });

    it('throws NoSuchEntity when removing a user who is not a member', async () => {
      const error = await rejectionOf(iam.send(new RemoveUserFromGroupCommand({ UserName: 'alice', GroupName: 'admins' })));

      expect(error).toBeInstanceOf(NoSuchEntityException);
    });

    it('removes a member', async () => {
      account.addUserToGroup('alice', 'admins');

      await iam.send(new RemoveUserFromGroupCommand({ UserName: 'alice', GroupName: 'admins' }));

      expect(account.userView('alice')?.groups).toEqual([]);
      expect(account.groupView('admins')?.members).toEqual([]);
    });

    it('pages the members of a group', async () => {
      for (let index = 0; index < 5; index++) account.addUserToGroup(account.createUser(`member-${index}`).name, 'admins');

      const first = await iam.send(new GetGroupCommand({ GroupName: 'admins', MaxItems: 3 }));
      const second = await iam.send(new GetGroupCommand({ GroupName: 'admins', MaxItems: 3, Marker: first.Marker }));

      expect(first.IsTruncated).toBe(true);
      expect(first.Users?.map((user) => user.UserName)).toEqual(['member-0', 'member-1', 'member-2']);
      expect(second.IsTruncated).toBe(false);
      expect(second.Marker).toBeUndefined();
      expect(second.Users?.map((user) => user.UserName)).toEqual(['member-3', 'member-4']);
    });
  });

  describe('pagination', () => {
    beforeEach(() => {
      for (let index = 0; index < 250; index++) account.createUser(`user-${String(index).padStart(3, '0')}`);
    });

    it('returns 100 items by default with IsTruncated and a Marker', async () => {
      const page = await iam.send(new ListUsersCommand({}));

      expect(page.Users).toHaveLength(100);
      expect(page.IsTruncated).toBe(true);
      expect(page.Marker).toEqual(expect.any(String));
    });

    it('walks every user exactly once with the SDK paginator', async () => {
      const names: string[] = [];
      for await (const page of paginateListUsers({ client: iam, pageSize: 70 }, {})) {
        names.push(...(page.Users ?? []).map((user) => user.UserName!));
      }

      expect(names).toHaveLength(251);
      expect(new Set(names).size).toBe(251);
      expect(names).toEqual([...names].sort());
    });

    it('keeps the page boundary when users are created between pages', async () => {
      const first = await iam.send(new ListUsersCommand({ MaxItems: 10 }));
      account.createUser('aaa-early');

      const second = await iam.send(new ListUsersCommand({ MaxItems: 10, Marker: first.Marker }));

      expect(first.Users?.at(-1)?.UserName).toBe('user-008');
      expect(second.Users?.[0]?.UserName).toBe('user-009');
    });

    it('filters by path prefix', async () => {
      account.createUser('contractor', { path: '/contractors/' });

      const { Users } = await iam.send(new ListUsersCommand({ PathPrefix: '/contractors/' }));

      expect(Users?.map((user) => user.UserName)).toEqual(['contractor']);
    });

    it('refuses MaxItems above 1000 and a forged Marker with a ValidationError', async () => {
      const tooMany = await rejectionOf(iam.send(new ListUsersCommand({ MaxItems: 1001 })));
      const forged = await rejectionOf(iam.send(new ListUsersCommand({ Marker: 'not-a-marker' })));

      expect(tooMany.name).toBe('ValidationError');
      expect(forged.name).toBe('ValidationError');
    });

    it('pages roles, groups, inline policy names and a user\'s groups', async () => {
      for (let index = 0; index < 3; index++) {
        account.createRole(`role-${index}`);
        account.createGroup(`group-${index}`);
        account.addUserToGroup('alice', `group-${index}`);
        account.putUserPolicy('alice', `policy-${index}`, S3_READ);
      }

      const roles = await iam.send(new ListRolesCommand({ MaxItems: 2 }));
      const groups = await iam.send(new ListGroupsCommand({ MaxItems: 2 }));
      const userGroups = await iam.send(new ListGroupsForUserCommand({ UserName: 'alice', MaxItems: 2 }));
      const policies = await iam.send(new ListUserPoliciesCommand({ UserName: 'alice', MaxItems: 2 }));
      const rest = await iam.send(new ListUserPoliciesCommand({ UserName: 'alice', MaxItems: 2, Marker: policies.Marker }));

      expect([roles, groups, userGroups, policies].map((page) => page.IsTruncated)).toEqual([true, true, true, true]);
      expect(roles.Roles?.map((role) => role.RoleName)).toEqual(['deployer', 'role-0']);
      expect(groups.Groups?.map((group) => group.GroupName)).toEqual(['admins', 'group-0']);
      expect(policies.PolicyNames).toEqual(['policy-0', 'policy-1']);
      expect(rest).toMatchObject({ PolicyNames: ['policy-2'], IsTruncated: false });
    });
  });

  describe('bookkeeping', () => {
    it('throws UnsupportedLocalOperation for a command it does not serve', async () => {
      const error = await rejectionOf(iam.send(new DeleteUserCommand({ UserName: 'alice' })));

      expect(error.name).toBe('UnsupportedLocalOperation');
      expect(error.message).toContain('DeleteUserCommand');
      expect(account.findUser('alice')).toBeDefined();
    });

    it('counts calls per command name until reset', async () => {
      await iam.send(new GetUserCommand({ UserName: 'alice' }));
      await iam.send(new GetUserCommand({ UserName: 'alice' }));
      await rejectionOf(iam.send(new GetRoleCommand({ RoleName: 'nobody' })));

      expect(Object.fromEntries(account.calls)).toEqual({ GetUserCommand: 2, GetRoleCommand: 1 });
      account.resetCalls();
      expect(account.calls.size).toBe(0);
    });

    it('reports each successful mutating call, and nothing for reads or failures', async () => {
      const changes: SimulatedIamChange[] = [];
      const at = new Date('2030-01-01T00:00:00Z');
      const observed = simulatedClient(account, { onChange: (change) => changes.push(change), clock: () => at });

      await observed.send(new AttachUserPolicyCommand({ UserName: 'alice', PolicyArn: READ_ONLY }));
      await observed.send(new ListAttachedUserPoliciesCommand({ UserName: 'alice' }));
      await rejectionOf(observed.send(new DetachUserPolicyCommand({ UserName: 'alice', PolicyArn: ADMIN })));

      expect(changes).toEqual([
        {
          commandName: 'AttachUserPolicyCommand',
          eventName: 'AttachUserPolicy',
          input: { UserName: 'alice', PolicyArn: READ_ONLY },
          at,
        },
      ]);
    });

    it('serves a client without credentials when placed at initialize', async () => {
      const bare = new IAMClient({ region: 'us-east-1', credentials: () => Promise.reject(new Error('no credentials here')) });
      attachSimulatedIam(bare, account, { placement: 'initialize' });

      const { User } = await bare.send(new GetUserCommand({ UserName: 'alice' }));

      expect(User?.UserName).toBe('alice');
    });

    it('stops answering once detached', async () => {
      const client = new IAMClient({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' }, maxAttempts: 1 });
      const detach = attachSimulatedIam(client, account);
      detach();

      expect(client.middlewareStack.identify().join()).not.toContain('grantlineSimulatedIam');
    });

    it('adds a delay to each answer when asked', async () => {
      const slow = simulatedClient(account, { latencyMs: 30 });
      const started = performance.now();

      await slow.send(new GetUserCommand({ UserName: 'alice' }));

      expect(performance.now() - started).toBeGreaterThanOrEqual(25);
    });
  });
});
