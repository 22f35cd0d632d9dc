import {
  GetAccountAuthorizationDetailsCommand,
  paginateGetAccountAuthorizationDetails,
  type GetAccountAuthorizationDetailsCommandOutput,
} from '@aws-sdk/client-iam';
import { beforeAll, describe, expect, it } from 'vitest';
import { SimulatedIamAccount } from '../../../local/iam/index.js';
import { ADMIN, READ_ONLY, rejectionOf, simulatedClient } from './client.js';

const S3_READ = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }] };

describe('GetAccountAuthorizationDetails', () => {
  let account: SimulatedIamAccount;
  let seedMs: number;

  beforeAll(() => {
    const started = performance.now();
    account = new SimulatedIamAccount();
    account.createGroup('admins');
    account.attachGroupPolicy('admins', ADMIN);
    account.putGroupPolicy('admins', 'extra', S3_READ);
    account.createRole('deployer');
    account.attachRolePolicy('deployer', READ_ONLY);
    const custom = account.createPolicy('s3-read', S3_READ, { path: '/grantline/' });
    account.createPolicyVersion(custom.arn, { ...S3_READ, Statement: [{ ...S3_READ.Statement[0], Action: 's3:Get*' }] }, { setAsDefault: true });
    for (let index = 0; index < 10_000; index++) {
      const user = account.createUser(`user-${String(index).padStart(5, '0')}`);
      if (index % 100 === 0) {
        account.addUserToGroup(user.name, 'admins');
        account.attachUserPolicy(user.name, custom.arn);
        account.putUserPolicy(user.name, 'grant', S3_READ);
      }
    }
    seedMs = performance.now() - started;
  });

  it('seeds 10,000 users well under a second', () => {
    expect(seedMs).toBeLessThan(1000);
  });

  it('walks 10,000 users in 11 calls of 1,000 items, each entity exactly once', async () => {
    const iam = simulatedClient(account);
    account.resetCalls();
    const started = performance.now();
    const pages: GetAccountAuthorizationDetailsCommandOutput[] = [];

    for await (const page of paginateGetAccountAuthorizationDetails({ client: iam, pageSize: 1000 }, {})) pages.push(page);

    const users = pages.flatMap((page) => page.UserDetailList ?? []);
    expect(performance.now() - started).toBeLessThan(2000);
    expect(account.calls.get('GetAccountAuthorizationDetailsCommand')).toBe(11);
    expect(users).toHaveLength(10_000);
    expect(new Set(users.map((user) => user.UserName)).size).toBe(10_000);
    expect(pages.flatMap((page) => page.GroupDetailList ?? []).map((group) => group.GroupName)).toEqual(['admins']);
    expect(pages.flatMap((page) => page.RoleDetailList ?? []).map((role) => role.RoleName)).toEqual(['deployer']);
    expect(pages.at(-1)?.IsTruncated).toBe(false);
  });

  it('describes a user with URL-encoded inline documents, group names and attached policies', async () => {
    const iam = simulatedClient(account);

    const { UserDetailList } = await iam.send(new GetAccountAuthorizationDetailsCommand({ Filter: ['User'], MaxItems: 1 }));

    expect(UserDetailList).toEqual([
      expect.objectContaining({
        UserName: 'user-00000',
        Arn: 'arn:aws:iam::000000000000:user/user-00000',
        GroupList: ['admins'],
        AttachedManagedPolicies: [{ PolicyName: 's3-read', PolicyArn: 'arn:aws:iam::000000000000:policy/grantline/s3-read' }],
        UserPolicyList: [{ PolicyName: 'grant', PolicyDocument: encodeURIComponent(JSON.stringify(S3_READ)) }],
      }),
    ]);
  });

  it('lists local policies with all their versions and only the AWS managed policies in use', async () => {
    const iam = simulatedClient(account);

    const { Policies, UserDetailList } = await iam.send(
      new GetAccountAuthorizationDetailsCommand({ Filter: ['LocalManagedPolicy', 'AWSManagedPolicy'] }),
    );

    expect(UserDetailList).toEqual([]);
    expect(Policies?.map((policy) => policy.PolicyName)).toEqual(['s3-read', 'AdministratorAccess', 'ReadOnlyAccess']);
    const local = Policies?.[0];
    expect(local).toMatchObject({ DefaultVersionId: 'v2', AttachmentCount: 100 });
    expect(local?.PolicyVersionList?.map((version) => [version.VersionId, version.IsDefaultVersion])).toEqual([
      ['v1', false],
      ['v2', true],
    ]);
    expect(decodeURIComponent(local!.PolicyVersionList![1]!.Document!)).toContain('s3:Get*');
  });

  it('describes roles with their URL-encoded trust policy', async () => {
    const iam = simulatedClient(account);

    const { RoleDetailList } = await iam.send(new GetAccountAuthorizationDetailsCommand({ Filter: ['Role'] }));

    expect(RoleDetailList?.[0]?.AttachedManagedPolicies).toEqual([{ PolicyName: 'ReadOnlyAccess', PolicyArn: READ_ONLY }]);
    expect(JSON.parse(decodeURIComponent(RoleDetailList![0]!.AssumeRolePolicyDocument!))).toMatchObject({
      Statement: [{ Principal: { AWS: 'arn:aws:iam::000000000000:root' }, Action: 'sts:AssumeRole' }],
    });
  });

  it('continues across entity types from a marker', async () => {
    const iam = simulatedClient(account);
    const filter: ('User' | 'Group' | 'Role')[] = ['Group', 'Role'];

    const first = await iam.send(new GetAccountAuthorizationDetailsCommand({ Filter: filter, MaxItems: 1 }));
    const second = await iam.send(new GetAccountAuthorizationDetailsCommand({ Filter: filter, MaxItems: 1, Marker: first.Marker }));

    expect(first).toMatchObject({ IsTruncated: true, GroupDetailList: [{ GroupName: 'admins' }], RoleDetailList: [] });
    expect(second).toMatchObject({ IsTruncated: false, GroupDetailList: [], RoleDetailList: [{ RoleName: 'deployer' }] });
  });

  it('refuses MaxItems above 1,000', async () => {
    const error = await rejectionOf(simulatedClient(account).send(new GetAccountAuthorizationDetailsCommand({ MaxItems: 5000 })));

    expect(error.name).toBe('ValidationError');
  });
});
