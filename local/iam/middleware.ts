import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type * as Iam from '@aws-sdk/client-iam';
import {
  tokenBucketFor,
  type GroupEntity,
  type ManagedPolicyEntity,
  type ManagedPolicyVersion,
  type RoleEntity,
  type SimulatedIamAccount,
  type ThrottleOptions,
  type UserEntity,
} from './account.js';
import { encodePolicyDocument } from './documents.js';
import { noSuchEntity, throttlingError, UnsupportedLocalOperationError, validationError } from './errors.js';
import { simulateAccess } from './evaluate.js';
import { decodeMarker, encodeMarker, indexAfter, paginate, readMaxItems, sortedBy, type MarkerPosition } from './pagination.js';
import { TokenBucket } from './throttle.js';

/** A successful mutating call, for local mode to turn into CloudTrail-like events. */
export interface SimulatedIamChange {
  /** The SDK command name, e.g. "AttachUserPolicyCommand". */
  readonly commandName: string;
  /** The API action, as CloudTrail's eventName: "AttachUserPolicy". */
  readonly eventName: string;
  readonly input: Readonly<Record<string, unknown>>;
  readonly at: Date;
}

export interface SimulatedIamOptions {
  /**
   * A rate limit for this client alone (or a bucket shared with other clients); default the
   * account's own `throttle`, if any.
   */
  readonly throttle?: ThrottleOptions | TokenBucket | undefined;
  /** Default the account's `latencyMs`. */
  readonly latencyMs?: number | undefined;
  /** Time of SimulatePrincipalPolicy decisions and of change events; default the account's clock. */
  readonly clock?: (() => Date) | undefined;
  /** Called after each successful mutating call; a throwing hook fails the call after the change was applied. */
  readonly onChange?: ((change: SimulatedIamChange) => void) | undefined;
  /**
   * Where the simulated account answers in the client's middleware stack.
   *
   * - "afterRetry" (default): in the finalizeRequest step, right after the SDK's retry middleware,
   *   where the HTTP handler would be. Throttling errors therefore go through the client's own retry
   *   strategy (maxAttempts, backoff, `$metadata.attempts`) as they do against AWS, and every
   *   attempt counts as a call. The request is serialised first, so the client needs credentials
   *   (any value: nothing is signed or sent).
   * - "initialize": before everything else, so no serialisation, credentials or retries happen:
   *   a throttling error reaches the caller at once.
   */
  readonly placement?: 'afterRetry' | 'initialize' | undefined;
}

const MIDDLEWARE_NAME = 'grantlineSimulatedIam';

type Answer<T> = Omit<T, '$metadata'>;

/** Commands served, as [input, output]; anything else is an UnsupportedLocalOperation. */
interface ServedCommands {
  GetUserCommand: [Iam.GetUserCommandInput, Iam.GetUserCommandOutput];
  GetRoleCommand: [Iam.GetRoleCommandInput, Iam.GetRoleCommandOutput];
  GetGroupCommand: [Iam.GetGroupCommandInput, Iam.GetGroupCommandOutput];
  ListUsersCommand: [Iam.ListUsersCommandInput, Iam.ListUsersCommandOutput];
  ListRolesCommand: [Iam.ListRolesCommandInput, Iam.ListRolesCommandOutput];
  ListGroupsCommand: [Iam.ListGroupsCommandInput, Iam.ListGroupsCommandOutput];
  ListGroupsForUserCommand: [Iam.ListGroupsForUserCommandInput, Iam.ListGroupsForUserCommandOutput];
  CreateUserCommand: [Iam.CreateUserCommandInput, Iam.CreateUserCommandOutput];
  CreateRoleCommand: [Iam.CreateRoleCommandInput, Iam.CreateRoleCommandOutput];
  CreateGroupCommand: [Iam.CreateGroupCommandInput, Iam.CreateGroupCommandOutput];
  AttachUserPolicyCommand: [Iam.AttachUserPolicyCommandInput, Iam.AttachUserPolicyCommandOutput];
  DetachUserPolicyCommand: [Iam.DetachUserPolicyCommandInput, Iam.DetachUserPolicyCommandOutput];
  AttachRolePolicyCommand: [Iam.AttachRolePolicyCommandInput, Iam.AttachRolePolicyCommandOutput];
  DetachRolePolicyCommand: [Iam.DetachRolePolicyCommandInput, Iam.DetachRolePolicyCommandOutput];
  AttachGroupPolicyCommand: [Iam.AttachGroupPolicyCommandInput, Iam.AttachGroupPolicyCommandOutput];
  DetachGroupPolicyCommand: [Iam.DetachGroupPolicyCommandInput, Iam.DetachGroupPolicyCommandOutput];
  ListAttachedUserPoliciesCommand: [Iam.ListAttachedUserPoliciesCommandInput, Iam.ListAttachedUserPoliciesCommandOutput];
  ListAttachedRolePoliciesCommand: [Iam.ListAttachedRolePoliciesCommandInput, Iam.ListAttachedRolePoliciesCommandOutput];
  ListAttachedGroupPoliciesCommand: [Iam.ListAttachedGroupPoliciesCommandInput, Iam.ListAttachedGroupPoliciesCommandOutput];
  PutUserPolicyCommand: [Iam.PutUserPolicyCommandInput, Iam.PutUserPolicyCommandOutput];
  DeleteUserPolicyCommand: [Iam.DeleteUserPolicyCommandInput, Iam.DeleteUserPolicyCommandOutput];
  GetUserPolicyCommand: [Iam.GetUserPolicyCommandInput, Iam.GetUserPolicyCommandOutput];
  ListUserPoliciesCommand: [Iam.ListUserPoliciesCommandInput, Iam.ListUserPoliciesCommandOutput];
  PutRolePolicyCommand: [Iam.PutRolePolicyCommandInput, Iam.PutRolePolicyCommandOutput];
  DeleteRolePolicyCommand: [Iam.DeleteRolePolicyCommandInput, Iam.DeleteRolePolicyCommandOutput];
  GetRolePolicyCommand: [Iam.GetRolePolicyCommandInput, Iam.GetRolePolicyCommandOutput];
  ListRolePoliciesCommand: [Iam.ListRolePoliciesCommandInput, Iam.ListRolePoliciesCommandOutput];
  PutGroupPolicyCommand: [Iam.PutGroupPolicyCommandInput, Iam.PutGroupPolicyCommandOutput];
  DeleteGroupPolicyCommand: [Iam.DeleteGroupPolicyCommandInput, Iam.DeleteGroupPolicyCommandOutput];
  GetGroupPolicyCommand: [Iam.GetGroupPolicyCommandInput, Iam.GetGroupPolicyCommandOutput];
  ListGroupPoliciesCommand: [Iam.ListGroupPoliciesCommandInput, Iam.ListGroupPoliciesCommandOutput];
  AddUserToGroupCommand: [Iam.AddUserToGroupCommandInput, Iam.AddUserToGroupCommandOutput];
  RemoveUserFromGroupCommand: [Iam.RemoveUserFromGroupCommandInput, Iam.RemoveUserFromGroupCommandOutput];
  GetPolicyCommand: [Iam.GetPolicyCommandInput, Iam.GetPolicyCommandOutput];
  GetPolicyVersionCommand: [Iam.GetPolicyVersionCommandInput, Iam.GetPolicyVersionCommandOutput];
  GetAccountAuthorizationDetailsCommand: [
    Iam.GetAccountAuthorizationDetailsCommandInput,
    Iam.GetAccountAuthorizationDetailsCommandOutput,
  ];
  SimulatePrincipalPolicyCommand: [Iam.SimulatePrincipalPolicyCommandInput, Iam.SimulatePrincipalPolicyCommandOutput];
}

type Handlers = {
  [K in keyof ServedCommands]: (
    input: ServedCommands[K][0],
  ) => Answer<ServedCommands[K][1]> | Promise<Answer<ServedCommands[K][1]>>;
};

const MUTATING = new Set<string>([
  'CreateUserCommand',
  'CreateRoleCommand',
  'CreateGroupCommand',
  'AttachUserPolicyCommand',
  'DetachUserPolicyCommand',
  'AttachRolePolicyCommand',
  'DetachRolePolicyCommand',
  'AttachGroupPolicyCommand',
  'DetachGroupPolicyCommand',
  'PutUserPolicyCommand',
  'DeleteUserPolicyCommand',
  'PutRolePolicyCommand',
  'DeleteRolePolicyCommand',
  'PutGroupPolicyCommand',
  'DeleteGroupPolicyCommand',
  'AddUserToGroupCommand',
  'RemoveUserFromGroupCommand',
]);

/**
 * Makes `client` talk to `account` instead of AWS: a middleware answers each served command from
 * the account and throws the SDK's exception classes, so calling code cannot tell the difference
 * (see `placement` for where it sits and why). Returns a function that removes it again.
 */
export function attachSimulatedIam(
  client: Iam.IAMClient,
  account: SimulatedIamAccount,
  options: SimulatedIamOptions = {},
): () => void {
  const clock = options.clock ?? account.clock;
  const bucket =
    options.throttle === undefined
      ? account.throttle
      : options.throttle instanceof TokenBucket
        ? options.throttle
        : tokenBucketFor(options.throttle);
  const latencyMs = options.latencyMs ?? account.latencyMs;
  const handlers = servedCommands(account, clock);

  const middleware = (_next: unknown, context: { commandName?: string }) => async (args: { input: unknown }) => {
    const commandName = context.commandName ?? 'UnknownCommand';
    account.recordCall(commandName);
    if (!Object.hasOwn(handlers, commandName)) throw new UnsupportedLocalOperationError(commandName);
    if (bucket && !bucket.tryTake()) throw throttlingError();
    if (latencyMs > 0) await sleep(latencyMs);
    const input = (args.input ?? {}) as Record<string, unknown>;
    const handler = handlers[commandName as keyof Handlers] as (input: unknown) => object | Promise<object>;
    const output = await handler(input);
    if (MUTATING.has(commandName)) {
      options.onChange?.({ commandName, eventName: commandName.replace(/Command$/, ''), input: { ...input }, at: clock() });
    }
    // The retry middleware (when it runs) overwrites attempts and totalRetryDelay.
    const $metadata = { httpStatusCode: 200, requestId: randomUUID(), attempts: 1, totalRetryDelay: 0 };
    return { output: { ...output, $metadata }, response: {} };
  };

  // The stack types each step's middleware separately; this one fits either place it may go.
  if (options.placement === 'initialize') {
    client.middlewareStack.add(middleware as never, { step: 'initialize', name: MIDDLEWARE_NAME, override: true });
  } else {
    client.middlewareStack.addRelativeTo(middleware as never, {
      relation: 'after',
      toMiddleware: 'retryMiddleware',
      name: MIDDLEWARE_NAME,
      override: true,
    });
  }
  return () => {
    client.middlewareStack.remove(MIDDLEWARE_NAME);
  };
}

function servedCommands(account: SimulatedIamAccount, clock: () => Date): Handlers {
  return {
    GetUserCommand: (input) => ({ User: userOut(account.user(required(input.UserName, 'userName')), true) }),
    GetRoleCommand: (input) => ({ Role: roleOut(account.role(required(input.RoleName, 'roleName')), true) }),
    GetGroupCommand: (input) => {
      const group = account.group(required(input.GroupName, 'groupName'));
      const page = paginate(sortedBy(group.members.values(), byKey), byKey, input);
      return { Group: groupOut(group), Users: page.items.map((user) => userOut(user, false)), ...more(page) };
    },
    ListUsersCommand: (input) => {
      const page = paginate(underPath(account.users(), input.PathPrefix), byKey, input);
      return { Users: page.items.map((user) => userOut(user, false)), ...more(page) };
    },
    ListRolesCommand: (input) => {
      const page = paginate(underPath(account.roles(), input.PathPrefix), byKey, input);
      return { Roles: page.items.map((role) => roleOut(role, false)), ...more(page) };
    },
    ListGroupsCommand: (input) => {
      const page = paginate(underPath(account.groups(), input.PathPrefix), byKey, input);
      return { Groups: page.items.map(groupOut), ...more(page) };
    },
    ListGroupsForUserCommand: (input) => {
      const user = account.user(required(input.UserName, 'userName'));
      const page = paginate(sortedBy(user.groups.values(), byKey), byKey, input);
      return { Groups: page.items.map(groupOut), ...more(page) };
    },

    CreateUserCommand: (input) => ({
      User: userOut(account.createUser(required(input.UserName, 'userName'), { path: input.Path, tags: input.Tags }), true),
    }),
    CreateRoleCommand: (input) => ({
      Role: roleOut(
        account.createRole(required(input.RoleName, 'roleName'), required(input.AssumeRolePolicyDocument, 'assumeRolePolicyDocument'), {
          path: input.Path,
          description: input.Description,
          maxSessionDuration: input.MaxSessionDuration,
          tags: input.Tags,
        }),
        true,
      ),
    }),
    CreateGroupCommand: (input) => ({
      Group: groupOut(account.createGroup(required(input.GroupName, 'groupName'), { path: input.Path })),
    }),

    AttachUserPolicyCommand: (input) => {
      account.attachUserPolicy(required(input.UserName, 'userName'), required(input.PolicyArn, 'policyArn'));
      return {};
    },
    DetachUserPolicyCommand: (input) => {
      account.detachUserPolicy(required(input.UserName, 'userName'), required(input.PolicyArn, 'policyArn'));
      return {};
    },
    AttachRolePolicyCommand: (input) => {
      account.attachRolePolicy(required(input.RoleName, 'roleName'), required(input.PolicyArn, 'policyArn'));
      return {};
    },
    DetachRolePolicyCommand: (input) => {
      account.detachRolePolicy(required(input.RoleName, 'roleName'), required(input.PolicyArn, 'policyArn'));
      return {};
    },
    AttachGroupPolicyCommand: (input) => {
      account.attachGroupPolicy(required(input.GroupName, 'groupName'), required(input.PolicyArn, 'policyArn'));
      return {};
    },
    DetachGroupPolicyCommand: (input) => {
      account.detachGroupPolicy(required(input.GroupName, 'groupName'), required(input.PolicyArn, 'policyArn'));
      return {};
    },
    ListAttachedUserPoliciesCommand: (input) =>
      listAttached(account.user(required(input.UserName, 'userName')).attachedPolicies, input),
    ListAttachedRolePoliciesCommand: (input) =>
      listAttached(account.role(required(input.RoleName, 'roleName')).attachedPolicies, input),
    ListAttachedGroupPoliciesCommand: (input) =>
      listAttached(account.group(required(input.GroupName, 'groupName')).attachedPolicies, input),

    PutUserPolicyCommand: (input) => {
      account.putUserPolicy(
        required(input.UserName, 'userName'),
        required(input.PolicyName, 'policyName'),
        required(input.PolicyDocument, 'policyDocument'),
      );
      return {};
    },
    DeleteUserPolicyCommand: (input) => {
      account.deleteUserPolicy(required(input.UserName, 'userName'), required(input.PolicyName, 'policyName'));
      return {};
    },
    GetUserPolicyCommand: (input) => {
      const user = account.user(required(input.UserName, 'userName'));
      const policyName = required(input.PolicyName, 'policyName');
      const document = account.getUserPolicy(user.name, policyName);
      return { UserName: user.name, PolicyName: policyName, PolicyDocument: encodePolicyDocument(document) };
    },
    ListUserPoliciesCommand: (input) =>
      listInline(account.user(required(input.UserName, 'userName')).inlinePolicies, input),
    PutRolePolicyCommand: (input) => {
      account.putRolePolicy(
        required(input.RoleName, 'roleName'),
        required(input.PolicyName, 'policyName'),
        required(input.PolicyDocument, 'policyDocument'),
      );
      return {};
    },
    DeleteRolePolicyCommand: (input) => {
      account.deleteRolePolicy(required(input.RoleName, 'roleName'), required(input.PolicyName, 'policyName'));
      return {};
    },
    GetRolePolicyCommand: (input) => {
      const role = account.role(required(input.RoleName, 'roleName'));
      const policyName = required(input.PolicyName, 'policyName');
      const document = account.getRolePolicy(role.name, policyName);
      return { RoleName: role.name, PolicyName: policyName, PolicyDocument: encodePolicyDocument(document) };
    },
    ListRolePoliciesCommand: (input) =>
      listInline(account.role(required(input.RoleName, 'roleName')).inlinePolicies, input),
    PutGroupPolicyCommand: (input) => {
      account.putGroupPolicy(
        required(input.GroupName, 'groupName'),
        required(input.PolicyName, 'policyName'),
        required(input.PolicyDocument, 'policyDocument'),
      );
      return {};
    },
    DeleteGroupPolicyCommand: (input) => {
      account.deleteGroupPolicy(required(input.GroupName, 'groupName'), required(input.PolicyName, 'policyName'));
      return {};
    },
    GetGroupPolicyCommand: (input) => {
      const group = account.group(required(input.GroupName, 'groupName'));
      const policyName = required(input.PolicyName, 'policyName');
      const document = account.getGroupPolicy(group.name, policyName);
      return { GroupName: group.name, PolicyName: policyName, PolicyDocument: encodePolicyDocument(document) };
    },
    ListGroupPoliciesCommand: (input) =>
      listInline(account.group(required(input.GroupName, 'groupName')).inlinePolicies, input),

    AddUserToGroupCommand: (input) => {
      account.addUserToGroup(required(input.UserName, 'userName'), required(input.GroupName, 'groupName'));
      return {};
    },
    RemoveUserFromGroupCommand: (input) => {
      account.removeUserFromGroup(required(input.UserName, 'userName'), required(input.GroupName, 'groupName'));
      return {};
    },

    GetPolicyCommand: (input) => ({ Policy: policyOut(account.policy(required(input.PolicyArn, 'policyArn'))) }),
    GetPolicyVersionCommand: (input) => {
      const policyArn = required(input.PolicyArn, 'policyArn');
      const versionId = required(input.VersionId, 'versionId');
      const version = account.policy(policyArn).versions.find((candidate) => candidate.versionId === versionId);
      if (!version) throw noSuchEntity(`Policy ${policyArn} version ${versionId} does not exist or is not attachable.`);
      return { PolicyVersion: versionOut(version) };
    },
    GetAccountAuthorizationDetailsCommand: (input) => accountAuthorizationDetails(account, input),
    SimulatePrincipalPolicyCommand: async (input) => {
      const principal = required(input.PolicySourceArn, 'policySourceArn');
      const actions = required(input.ActionNames, 'actionNames');
      const resources = input.ResourceArns?.length ? input.ResourceArns : ['*'];
      const context = contextOf(input.ContextEntries);
      const at = clock();
      const results: { key: string; result: Iam.EvaluationResult }[] = [];
      for (const action of actions) {
        for (const resource of resources) {
          const decision = await simulateAccess(account, {
            principal,
            action,
            resource,
            at,
            context,
            additionalPolicies: input.PolicyInputList,
          });
          results.push({
            key: String(results.length).padStart(10, '0'),
            result: { EvalActionName: action, EvalResourceName: resource, EvalDecision: decision, MatchedStatements: [], MissingContextValues: [] },
          });
        }
      }
      const page = paginate(results, byKey, input);
      return { EvaluationResults: page.items.map((item) => item.result), ...more(page) };
    },
  };
}

// --- GetAccountAuthorizationDetails ----------------------------------------------------------

interface Segment {
  readonly type: Iam.EntityType;
  readonly items: () => readonly { key: string }[];
  readonly emit: (index: number) => void;
}

function segment<T extends { key: string }>(type: Iam.EntityType, items: () => readonly T[], emit: (item: T) => void): Segment {
  let cached: readonly T[] | undefined;
  const list = () => (cached ??= items());
  return { type, items: list, emit: (index) => emit(list()[index]!) };
}

/**
 * One page across users, groups, roles and policies, MaxItems counting every entity, as IAM pages
 * it. AWS managed policies are listed only when attached to something, as in IAM.
 */
function accountAuthorizationDetails(
  account: SimulatedIamAccount,
  input: Iam.GetAccountAuthorizationDetailsCommandInput,
): Answer<Iam.GetAccountAuthorizationDetailsCommandOutput> {
  const wanted = new Set<string>(input.Filter?.length ? input.Filter : ['User', 'Group', 'Role', 'LocalManagedPolicy', 'AWSManagedPolicy']);
  const maxItems = readMaxItems(input);
  const start: MarkerPosition | undefined = input.Marker === undefined ? undefined : decodeMarker(input.Marker);
  const answer = {
    UserDetailList: [] as Iam.UserDetail[],
    GroupDetailList: [] as Iam.GroupDetail[],
    RoleDetailList: [] as Iam.RoleDetail[],
    Policies: [] as Iam.ManagedPolicyDetail[],
  };
  const segments = [
    segment('User', () => account.users(), (user) => answer.UserDetailList.push(userDetail(user))),
    segment('Group', () => account.groups(), (group) => answer.GroupDetailList.push(groupDetail(group))),
    segment('Role', () => account.roles(), (role) => answer.RoleDetailList.push(roleDetail(role))),
    segment(
      'LocalManagedPolicy',
      () => account.managedPolicies().filter((policy) => !policy.awsManaged),
      (policy) => answer.Policies.push(policyDetail(policy)),
    ),
    segment(
      'AWSManagedPolicy',
      () => account.managedPolicies().filter((policy) => policy.awsManaged && policy.attachmentCount > 0),
      (policy) => answer.Policies.push(policyDetail(policy)),
    ),
  ];
  let budget = maxItems;
  let last: MarkerPosition | undefined;
  for (let index = start?.segment ?? 0; index < segments.length; index++) {
    const current = segments[index]!;
    if (!wanted.has(current.type)) continue;
    const items = current.items();
    let position = start && index === start.segment ? indexAfter(items, byKey, start.key) : 0;
    for (; position < items.length; position++) {
      if (budget === 0) return { ...answer, IsTruncated: true, Marker: encodeMarker(last!) };
      current.emit(position);
      budget -= 1;
      last = { segment: index, key: items[position]!.key };
    }
  }
  return { ...answer, IsTruncated: false };
}

// --- shapes ----------------------------------------------------------------------------------

const byKey = (item: { key: string }) => item.key;

function required<T>(value: T | undefined, member: string): T {
  if (value === undefined || value === null) {
    throw validationError(
      `1 validation error detected: Value null at '${member}' failed to satisfy constraint: Member must not be null`,
    );
  }
  return value;
}

const more = (page: { IsTruncated: boolean; Marker?: string }) =>
  page.IsTruncated ? { IsTruncated: true, Marker: page.Marker } : { IsTruncated: false };

const underPath = <T extends { path: string }>(items: readonly T[], prefix: string | undefined): readonly T[] =>
  prefix === undefined || prefix === '/' ? items : items.filter((item) => item.path.startsWith(prefix));

const withTags = (tags: readonly Iam.Tag[]) => (tags.length > 0 ? { Tags: tags.map((tag) => ({ ...tag })) } : {});

/** GetUser and CreateUser return tags; ListUsers and GetGroup do not. */
const userOut = (user: UserEntity, full: boolean): Iam.User => ({
  Path: user.path,
  UserName: user.name,
  UserId: user.id,
  Arn: user.arn,
  CreateDate: user.createDate,
  ...(full ? withTags(user.tags) : {}),
});

/** GetRole returns tags and RoleLastUsed; ListRoles does not. */
const roleOut = (role: RoleEntity, full: boolean): Iam.Role => ({
  Path: role.path,
  RoleName: role.name,
  RoleId: role.id,
  Arn: role.arn,
  CreateDate: role.createDate,
  AssumeRolePolicyDocument: encodePolicyDocument(role.trustPolicy),
  ...(role.description === undefined ? {} : { Description: role.description }),
  MaxSessionDuration: role.maxSessionDuration,
  ...(full ? { ...withTags(role.tags), RoleLastUsed: {} } : {}),
});

const groupOut = (group: GroupEntity): Iam.Group => ({
  Path: group.path,
  GroupName: group.name,
  GroupId: group.id,
  Arn: group.arn,
  CreateDate: group.createDate,
});

const attachedOut = (policy: ManagedPolicyEntity): Iam.AttachedPolicy => ({ PolicyName: policy.name, PolicyArn: policy.arn });

const policyOut = (policy: ManagedPolicyEntity): Iam.Policy => ({
  PolicyName: policy.name,
  PolicyId: policy.id,
  Arn: policy.arn,
  Path: policy.path,
  DefaultVersionId: policy.defaultVersionId,
  AttachmentCount: policy.attachmentCount,
  PermissionsBoundaryUsageCount: 0,
  IsAttachable: true,
  ...(policy.description === undefined ? {} : { Description: policy.description }),
  CreateDate: policy.createDate,
  UpdateDate: policy.updateDate,
});

const versionOut = (version: ManagedPolicyVersion): Iam.PolicyVersion => ({
  Document: encodePolicyDocument(version.document),
  VersionId: version.versionId,
  IsDefaultVersion: version.isDefault,
  CreateDate: version.createDate,
});

const inlineOut = (policies: ReadonlyMap<string, string>): Iam.PolicyDetail[] =>
  [...policies].map(([name, document]) => ({ PolicyName: name, PolicyDocument: encodePolicyDocument(document) }));

const attachedList = (policies: ReadonlyMap<string, ManagedPolicyEntity>) => [...policies.values()].map(attachedOut);

const userDetail = (user: UserEntity): Iam.UserDetail => ({
  ...userOut(user, false),
  UserPolicyList: inlineOut(user.inlinePolicies),
  GroupList: [...user.groups.values()].map((group) => group.name),
  AttachedManagedPolicies: attachedList(user.attachedPolicies),
  Tags: user.tags.map((tag) => ({ ...tag })),
});

const groupDetail = (group: GroupEntity): Iam.GroupDetail => ({
  ...groupOut(group),
  GroupPolicyList: inlineOut(group.inlinePolicies),
  AttachedManagedPolicies: attachedList(group.attachedPolicies),
});

const roleDetail = (role: RoleEntity): Iam.RoleDetail => ({
  Path: role.path,
  RoleName: role.name,
  RoleId: role.id,
  Arn: role.arn,
  CreateDate: role.createDate,
  AssumeRolePolicyDocument: encodePolicyDocument(role.trustPolicy),
  InstanceProfileList: [],
  RolePolicyList: inlineOut(role.inlinePolicies),
  AttachedManagedPolicies: attachedList(role.attachedPolicies),
  Tags: role.tags.map((tag) => ({ ...tag })),
  RoleLastUsed: {},
});

const policyDetail = (policy: ManagedPolicyEntity): Iam.ManagedPolicyDetail => ({
  ...policyOut(policy),
  PolicyVersionList: policy.versions.map(versionOut),
});

function listAttached(
  policies: ReadonlyMap<string, ManagedPolicyEntity>,
  input: { PathPrefix?: string | undefined; MaxItems?: number | undefined; Marker?: string | undefined },
) {
  const page = paginate(underPath(sortedBy(policies.values(), byKey), input.PathPrefix), byKey, input);
  return { AttachedPolicies: page.items.map(attachedOut), ...more(page) };
}

function listInline(policies: ReadonlyMap<string, string>, input: { MaxItems?: number | undefined; Marker?: string | undefined }) {
  const page = paginate(sortedBy(policies.keys(), (name) => name), (name) => name, input);
  return { PolicyNames: page.items, ...more(page) };
}

function contextOf(entries: Iam.ContextEntry[] | undefined): Record<string, string | string[]> {
  const context: Record<string, string | string[]> = {};
  for (const entry of entries ?? []) {
    const name = required(entry.ContextKeyName, 'contextKeyName');
    const values = entry.ContextKeyValues ?? [];
    context[name] = entry.ContextKeyType?.endsWith('List') ? values : (values[0] ?? '');
  }
  return context;
}

