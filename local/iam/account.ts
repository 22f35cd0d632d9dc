import { renameSync, writeFileSync } from 'node:fs';
import type { Tag } from '@aws-sdk/client-iam';
import { AWS_MANAGED_POLICIES, parsePolicyDocument, policySize, toPolicyText } from './documents.js';
import { deleteConflict, entityAlreadyExists, invalidInput, limitExceeded, noSuchEntity, validationError } from './errors.js';
import { sortedBy } from './pagination.js';
import { SavedIamAccount } from './state.js';
import { TokenBucket } from './throttle.js';

/** IAM's default quotas (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html). */
export interface IamLimits {
  readonly managedPoliciesPerUser: number;
  readonly managedPoliciesPerRole: number;
  readonly managedPoliciesPerGroup: number;
  readonly groupsPerUser: number;
  /** Aggregate inline policy characters, whitespace excluded. */
  readonly inlinePolicySizePerUser: number;
  readonly inlinePolicySizePerRole: number;
  readonly inlinePolicySizePerGroup: number;
  readonly managedPolicySize: number;
  readonly versionsPerPolicy: number;
}

export const DEFAULT_IAM_LIMITS: IamLimits = {
  managedPoliciesPerUser: 10,
  managedPoliciesPerRole: 10,
  managedPoliciesPerGroup: 10,
  groupsPerUser: 10,
  inlinePolicySizePerUser: 2048,
  inlinePolicySizePerRole: 10240,
  inlinePolicySizePerGroup: 5120,
  managedPolicySize: 6144,
  versionsPerPolicy: 5,
};

export interface SimulatedIamAccountOptions {
  /** Default "000000000000". */
  readonly accountId?: string;
  /** Source of CreateDate values and of the default evaluation time. */
  readonly clock?: () => Date;
  readonly limits?: Partial<IamLimits>;
  /**
   * An account-wide rate limit shared by every client attached to the account, as IAM's is.
   * Time is wall-clock milliseconds from `now` (default Date.now), not `clock`: the SDK's retry
   * backoff waits in real time, and tests pass a fake `now` to drive refills.
   */
  readonly throttle?: ThrottleOptions | undefined;
  /** Delay before every answer, to make local calls cost something. */
  readonly latencyMs?: number | undefined;
}

export interface ThrottleOptions {
  readonly tps: number;
  /** Calls allowed at once; default `tps`. */
  readonly burst?: number | undefined;
  readonly now?: (() => number) | undefined;
}

export type IdentityKind = 'user' | 'role' | 'group';

export const tokenBucketFor = (throttle: ThrottleOptions): TokenBucket =>
  new TokenBucket(throttle.tps, throttle.burst ?? throttle.tps, throttle.now ?? Date.now);

export interface ManagedPolicyVersion {
  readonly versionId: string;
  /** As submitted; responses URL-encode it. */
  readonly document: string;
  readonly isDefault: boolean;
  readonly createDate: Date;
}

export interface ManagedPolicyEntity {
  /** Lower-cased ARN: IAM names are unique regardless of case. */
  readonly key: string;
  readonly name: string;
  readonly id: string;
  readonly arn: string;
  readonly path: string;
  readonly description?: string | undefined;
  readonly awsManaged: boolean;
  readonly createDate: Date;
  readonly updateDate: Date;
  readonly defaultVersionId: string;
  readonly versions: readonly ManagedPolicyVersion[];
  readonly attachmentCount: number;
}

interface IdentityEntity {
  /** Lower-cased name: IAM names are unique regardless of case, and lookups ignore case. */
  readonly key: string;
  readonly name: string;
  readonly id: string;
  readonly arn: string;
  readonly path: string;
  readonly createDate: Date;
  /** By lower-cased ARN, in attachment order. */
  readonly attachedPolicies: ReadonlyMap<string, ManagedPolicyEntity>;
  /** Policy name → document as submitted. */
  readonly inlinePolicies: ReadonlyMap<string, string>;
}

export interface UserEntity extends IdentityEntity {
  readonly kind: 'user';
  readonly tags: readonly Tag[];
  readonly groups: ReadonlyMap<string, GroupEntity>;
}

export interface RoleEntity extends IdentityEntity {
  readonly kind: 'role';
  readonly tags: readonly Tag[];
  /** Trust policy as submitted. */
  readonly trustPolicy: string;
  readonly description?: string | undefined;
  readonly maxSessionDuration: number;
}

export interface GroupEntity extends IdentityEntity {
  readonly kind: 'group';
  readonly members: ReadonlyMap<string, UserEntity>;
}

export interface UserView {
  userName: string;
  attachedPolicies: string[];
  inlinePolicies: Record<string, object>;
  groups: string[];
}

export interface RoleView {
  roleName: string;
  attachedPolicies: string[];
  inlinePolicies: Record<string, object>;
  trustPolicy: object;
}

export interface GroupView {
  groupName: string;
  attachedPolicies: string[];
  inlinePolicies: Record<string, object>;
  members: string[];
}

export interface AccountSnapshot {
  accountId: string;
  users: UserView[];
  roles: RoleView[];
  groups: GroupView[];
}

export interface CreateUserOptions {
  readonly path?: string | undefined;
  readonly tags?: readonly Tag[] | undefined;
}

export interface CreateRoleOptions extends CreateUserOptions {
  readonly description?: string | undefined;
  readonly maxSessionDuration?: number | undefined;
}

export interface CreatePolicyOptions {
  readonly path?: string | undefined;
  readonly description?: string | undefined;
}

type PolicyRecord = ManagedPolicyEntity & {
  updateDate: Date;
  defaultVersionId: string;
  versions: ManagedPolicyVersion[];
  attachmentCount: number;
  nextVersion: number;
};

type Attachable = {
  attachedPolicies: Map<string, PolicyRecord>;
  inlinePolicies: Map<string, string>;
};

type UserRecord = UserEntity & Attachable & { groups: Map<string, GroupRecord> };
type RoleRecord = RoleEntity & Attachable;
type GroupRecord = GroupEntity & Attachable & { members: Map<string, UserRecord> };
type IdentityRecord = UserRecord | RoleRecord | GroupRecord;

const USER_NAME = /^[\w+=,.@-]{1,64}$/;
const GROUP_NAME = /^[\w+=,.@-]{1,128}$/;
const POLICY_NAME = /^[\w+=,.@-]{1,128}$/;
const PATH = /^\/([\x21-\x7E]{0,510}\/)?$/;
const POLICY_ARN = /^arn:aws[\w-]*:iam::(\d{12}|aws):policy\/.+$/;

const keyOf = (entity: { key: string }) => entity.key;

const policyArn = (owner: string, path: string, name: string) => `arn:aws:iam::${owner}:policy${path}${name}`;

/** The document of a managed policy's default version. */
export const defaultPolicyDocument = (policy: ManagedPolicyEntity): string =>
  policy.versions.find((version) => version.isDefault)!.document;

/**
 * One AWS account's IAM state, in memory. Seed it with the methods below; serve it to a real
 * IAMClient with `attachSimulatedIam`; evaluate it with `simulateAccess`. Methods enforce IAM's
 * rules and throw the SDK's own exceptions, so seeding mistakes look like AWS errors.
 */
export class SimulatedIamAccount {
  readonly accountId: string;
  readonly clock: () => Date;
  readonly limits: IamLimits;
  readonly throttle: TokenBucket | undefined;
  readonly latencyMs: number;
  /** Requests received per SDK command name (e.g. "ListUsersCommand"), throttled ones and SDK retries included. */
  readonly calls = new Map<string, number>();

  readonly #users = new Map<string, UserRecord>();
  readonly #roles = new Map<string, RoleRecord>();
  readonly #groups = new Map<string, GroupRecord>();
  readonly #policies = new Map<string, PolicyRecord>();
  // Sorted lists are cached between creations: paging 10,000 users must not sort on every page.
  #sorted: { users?: UserRecord[]; roles?: RoleRecord[]; groups?: GroupRecord[]; policies?: PolicyRecord[] } = {};
  #sequence = 0;
  #file: string | undefined;
  #dirty = false;

  constructor(options: SimulatedIamAccountOptions = {}) {
    this.accountId = options.accountId ?? '000000000000';
    if (!/^\d{12}$/.test(this.accountId)) throw new RangeError(`Invalid account id: ${this.accountId}`);
    this.clock = options.clock ?? (() => new Date());
    this.limits = { ...DEFAULT_IAM_LIMITS, ...options.limits };
    this.throttle = options.throttle ? tokenBucketFor(options.throttle) : undefined;
    this.latencyMs = options.latencyMs ?? 0;
    for (const policy of AWS_MANAGED_POLICIES) {
      this.defineAwsManagedPolicy(policy.name, policy.document, { path: policy.path });
    }
  }

  /** An account saved with `toJSON` (or `persistTo`); `options` supplies what is not saved (clock, limits, throttle). */
  static fromJSON(saved: unknown, options: Omit<SimulatedIamAccountOptions, 'accountId'> = {}): SimulatedIamAccount {
    const state = SavedIamAccount.parse(saved);
    const account = new SimulatedIamAccount({ ...options, accountId: state.accountId });
    account.#restore(state);
    return account;
  }

  recordCall(commandName: string): void {
    this.calls.set(commandName, (this.calls.get(commandName) ?? 0) + 1);
  }

  resetCalls(): void {
    this.calls.clear();
  }

  // --- reads -------------------------------------------------------------------------------

  /** All users, sorted by lower-cased name. */
  users(): readonly UserEntity[] {
    return (this.#sorted.users ??= sortedBy(this.#users.values(), keyOf));
  }

  roles(): readonly RoleEntity[] {
    return (this.#sorted.roles ??= sortedBy(this.#roles.values(), keyOf));
  }

  groups(): readonly GroupEntity[] {
    return (this.#sorted.groups ??= sortedBy(this.#groups.values(), keyOf));
  }

  /** Customer managed and known AWS managed policies, sorted by lower-cased ARN. */
  managedPolicies(): readonly ManagedPolicyEntity[] {
    return (this.#sorted.policies ??= sortedBy(this.#policies.values(), keyOf));
  }

  user(userName: string): UserEntity {
    return this.#user(userName);
  }

  role(roleName: string): RoleEntity {
    return this.#role(roleName);
  }

  group(groupName: string): GroupEntity {
    return this.#group(groupName);
  }

  findUser(userName: string): UserEntity | undefined {
    return this.#users.get(userName.toLowerCase());
  }

  findRole(roleName: string): RoleEntity | undefined {
    return this.#roles.get(roleName.toLowerCase());
  }

  policy(policyArn: string): ManagedPolicyEntity {
    return this.#policy(policyArn, `Policy ${policyArn} was not found.`);
  }

  getUserPolicy(userName: string, policyName: string): string {
    return this.#inline(this.#user(userName), 'user', policyName);
  }

  getRolePolicy(roleName: string, policyName: string): string {
    return this.#inline(this.#role(roleName), 'role', policyName);
  }

  getGroupPolicy(groupName: string, policyName: string): string {
    return this.#inline(this.#group(groupName), 'group', policyName);
  }

  // --- entities ----------------------------------------------------------------------------

  createUser(userName: string, options: CreateUserOptions = {}): UserEntity {
    checkName(userName, USER_NAME, 'userName');
    if (this.#users.has(userName.toLowerCase())) throw entityAlreadyExists(`User with name ${userName} already exists.`);
    const user = this.#insertUser(userName, checkPath(options.path), options.tags ?? [], this.#id('AIDA'), this.clock());
    this.#changed();
    return user;
  }

  /** Without a trust policy, the role trusts the account's root principal, as the console's default does. */
  createRole(roleName: string, trustPolicy?: string | object, options: CreateRoleOptions = {}): RoleEntity {
    checkName(roleName, USER_NAME, 'roleName');
    if (this.#roles.has(roleName.toLowerCase())) throw entityAlreadyExists(`Role with name ${roleName} already exists.`);
    const path = checkPath(options.path);
    const trust = toPolicyText(
      trustPolicy ?? {
        Version: '2012-10-17',
        Statement: [
          { Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${this.accountId}:root` }, Action: 'sts:AssumeRole' },
        ],
      },
    );
    parsePolicyDocument(trust, 'trust');
    const maxSessionDuration = options.maxSessionDuration ?? 3600;
    if (!Number.isInteger(maxSessionDuration) || maxSessionDuration < 3600 || maxSessionDuration > 43200) {
      throw validationError(
        `1 validation error detected: Value '${maxSessionDuration}' at 'maxSessionDuration' failed to satisfy constraint: ` +
          'Member must have value between 3600 and 43200',
      );
    }
    const role = this.#insertRole(roleName, path, options.tags ?? [], this.#id('AROA'), this.clock(), {
      trustPolicy: trust,
      description: options.description,
      maxSessionDuration,
    });
    this.#changed();
    return role;
  }

  createGroup(groupName: string, options: { path?: string | undefined } = {}): GroupEntity {
    checkName(groupName, GROUP_NAME, 'groupName');
    if (this.#groups.has(groupName.toLowerCase())) throw entityAlreadyExists(`Group with name ${groupName} already exists.`);
    const group = this.#insertGroup(groupName, checkPath(options.path), this.#id('AGPA'), this.clock());
    this.#changed();
    return group;
  }

  /** A customer managed policy, version v1 as default. */
  createPolicy(policyName: string, document: string | object, options: CreatePolicyOptions = {}): ManagedPolicyEntity {
    return this.#addPolicy(policyName, document, options, false);
  }

  /** Registers an AWS managed policy beyond the built-in table (arn:aws:iam::aws:policy/...). */
  defineAwsManagedPolicy(policyName: string, document: string | object, options: CreatePolicyOptions = {}): ManagedPolicyEntity {
    return this.#addPolicy(policyName, document, options, true);
  }

  createPolicyVersion(
    policyArn: string,
    document: string | object,
    options: { setAsDefault?: boolean } = {},
  ): ManagedPolicyVersion {
    const policy = this.#policy(policyArn, `Policy ${policyArn} was not found.`);
    if (policy.awsManaged) throw invalidInput(`AWS managed policy ${policyArn} cannot be modified.`);
    if (policy.versions.length >= this.limits.versionsPerPolicy) {
      throw limitExceeded(
        `A managed policy can have up to ${this.limits.versionsPerPolicy} versions. ` +
          'Before you create a new version, you must delete an existing version.',
      );
    }
    const text = this.#managedDocument(document);
    const version = { versionId: `v${policy.nextVersion++}`, document: text, isDefault: false, createDate: this.clock() };
    policy.versions.push(version);
    if (options.setAsDefault) {
      policy.versions = policy.versions.map((existing) => ({ ...existing, isDefault: existing === version }));
      policy.defaultVersionId = version.versionId;
    }
    policy.updateDate = version.createDate;
    this.#changed();
    return policy.versions.at(-1)!;
  }

  /** Seeding helpers that tolerate an existing entity (same name, any case). */
  ensureUser(userName: string): UserEntity {
    return this.findUser(userName) ?? this.createUser(userName);
  }

  ensureRole(roleName: string): RoleEntity {
    return this.findRole(roleName) ?? this.createRole(roleName);
  }

  ensureGroup(groupName: string): GroupEntity {
    return this.#groups.get(groupName.toLowerCase()) ?? this.createGroup(groupName);
  }

  /** As IAM's DeleteUser: refused while the user still has policies or groups (DeleteConflict). */
  deleteUser(userName: string): void {
    const user = this.#user(userName);
    if (user.attachedPolicies.size > 0 || user.inlinePolicies.size > 0 || user.groups.size > 0) {
      throw deleteConflict('Cannot delete entity, must remove policies and groups first.');
    }
    this.#users.delete(user.key);
    this.#sorted.users = undefined;
    this.#changed();
  }

  // --- managed policy attachments ----------------------------------------------------------

  attachPolicy(kind: IdentityKind, name: string, policyArn: string): void {
    if (kind === 'user') this.attachUserPolicy(name, policyArn);
    else if (kind === 'role') this.attachRolePolicy(name, policyArn);
    else this.attachGroupPolicy(name, policyArn);
  }

  detachPolicy(kind: IdentityKind, name: string, policyArn: string): void {
    if (kind === 'user') this.detachUserPolicy(name, policyArn);
    else if (kind === 'role') this.detachRolePolicy(name, policyArn);
    else this.detachGroupPolicy(name, policyArn);
  }

  /** Attaching an attached policy again succeeds without change, as in IAM. */
  attachUserPolicy(userName: string, policyArn: string): void {
    this.#attach(this.#user(userName), policyArn, this.limits.managedPoliciesPerUser, 'PoliciesPerUser');
  }

  detachUserPolicy(userName: string, policyArn: string): void {
    this.#detach(this.#user(userName), policyArn);
  }

  attachRolePolicy(roleName: string, policyArn: string): void {
    this.#attach(this.#role(roleName), policyArn, this.limits.managedPoliciesPerRole, 'PoliciesPerRole');
  }

  detachRolePolicy(roleName: string, policyArn: string): void {
    this.#detach(this.#role(roleName), policyArn);
  }

  attachGroupPolicy(groupName: string, policyArn: string): void {
    this.#attach(this.#group(groupName), policyArn, this.limits.managedPoliciesPerGroup, 'PoliciesPerGroup');
  }

  detachGroupPolicy(groupName: string, policyArn: string): void {
    this.#detach(this.#group(groupName), policyArn);
  }

  // --- inline policies ---------------------------------------------------------------------

  /** Creates or replaces the inline policy. */
  putUserPolicy(userName: string, policyName: string, document: string | object): void {
    this.#putInline(this.#user(userName), policyName, document, this.limits.inlinePolicySizePerUser);
  }

  deleteUserPolicy(userName: string, policyName: string): void {
    this.#deleteInline(this.#user(userName), 'user', policyName);
  }

  putRolePolicy(roleName: string, policyName: string, document: string | object): void {
    this.#putInline(this.#role(roleName), policyName, document, this.limits.inlinePolicySizePerRole);
  }

  deleteRolePolicy(roleName: string, policyName: string): void {
    this.#deleteInline(this.#role(roleName), 'role', policyName);
  }

  putGroupPolicy(groupName: string, policyName: string, document: string | object): void {
    this.#putInline(this.#group(groupName), policyName, document, this.limits.inlinePolicySizePerGroup);
  }

  deleteGroupPolicy(groupName: string, policyName: string): void {
    this.#deleteInline(this.#group(groupName), 'group', policyName);
  }

  // --- group membership --------------------------------------------------------------------

  /** Adding a member again succeeds without change, as in IAM. (Arguments in reading order: user, then group.) */
  addUserToGroup(userName: string, groupName: string): void {
    const group = this.#group(groupName);
    const user = this.#user(userName);
    if (user.groups.has(group.key)) return;
    if (user.groups.size >= this.limits.groupsPerUser) {
      throw limitExceeded(`Cannot exceed quota for GroupsPerUser: ${this.limits.groupsPerUser}`);
    }
    user.groups.set(group.key, group);
    group.members.set(user.key, user);
    this.#changed();
  }

  removeUserFromGroup(userName: string, groupName: string): void {
    const group = this.#group(groupName);
    const user = this.#user(userName);
    if (!group.members.delete(user.key)) {
      throw noSuchEntity(`The user with name ${userName} is not a member of group ${groupName}.`);
    }
    user.groups.delete(group.key);
    this.#changed();
  }

  // --- views -------------------------------------------------------------------------------

  /** Undefined for an unknown user, so views can back "not found" answers. */
  userView(userName: string): UserView | undefined {
    const user = this.#users.get(userName.toLowerCase());
    if (!user) return undefined;
    return {
      userName: user.name,
      ...policiesView(user),
      groups: [...user.groups.values()].map((group) => group.name),
    };
  }

  roleView(roleName: string): RoleView | undefined {
    const role = this.#roles.get(roleName.toLowerCase());
    if (!role) return undefined;
    return { roleName: role.name, ...policiesView(role), trustPolicy: JSON.parse(role.trustPolicy) as object };
  }

  groupView(groupName: string): GroupView | undefined {
    const group = this.#groups.get(groupName.toLowerCase());
    if (!group) return undefined;
    return {
      groupName: group.name,
      ...policiesView(group),
      members: [...group.members.values()].map((user) => user.name),
    };
  }

  snapshot(): AccountSnapshot {
    return {
      accountId: this.accountId,
      users: this.users().map((user) => this.userView(user.name)!),
      roles: this.roles().map((role) => this.roleView(role.name)!),
      groups: this.groups().map((group) => this.groupView(group.name)!),
    };
  }

  // --- persistence -------------------------------------------------------------------------

  toJSON(): SavedIamAccount {
    const identity = (entity: IdentityEntity) => ({
      name: entity.name,
      id: entity.id,
      path: entity.path,
      createDate: entity.createDate.toISOString(),
      attachedPolicies: [...entity.attachedPolicies.values()].map((policy) => policy.arn),
      inlinePolicies: Object.fromEntries(entity.inlinePolicies),
    });
    return {
      format: 'grantline-simulated-iam/1',
      accountId: this.accountId,
      sequence: this.#sequence,
      policies: this.managedPolicies().map((policy) => ({
        name: policy.name,
        id: policy.id,
        path: policy.path,
        ...(policy.description === undefined ? {} : { description: policy.description }),
        awsManaged: policy.awsManaged,
        createDate: policy.createDate.toISOString(),
        updateDate: policy.updateDate.toISOString(),
        nextVersion: (policy as PolicyRecord).nextVersion,
        versions: policy.versions.map((version) => ({ ...version, createDate: version.createDate.toISOString() })),
      })),
      groups: this.groups().map(identity),
      users: this.users().map((user) => ({
        ...identity(user),
        tags: savedTags(user.tags),
        groups: [...user.groups.values()].map((group) => group.name),
      })),
      roles: this.roles().map((role) => ({
        ...identity(role),
        tags: savedTags(role.tags),
        trustPolicy: role.trustPolicy,
        ...(role.description === undefined ? {} : { description: role.description }),
        maxSessionDuration: role.maxSessionDuration,
      })),
    };
  }

  /**
   * Saves the account to `file` now and after every change (batched per event-loop turn, written
   * atomically). Call `flush()` before exiting so the last batch is not lost.
   */
  persistTo(file: string): void {
    this.#file = file;
    this.#dirty = true;
    this.flush();
  }

  flush(): void {
    if (!this.#file || !this.#dirty) return;
    this.#dirty = false;
    const temporary = `${this.#file}.tmp`;
    writeFileSync(temporary, JSON.stringify(this.toJSON()));
    renameSync(temporary, this.#file);
  }

  // --- internals ---------------------------------------------------------------------------

  #changed(): void {
    if (!this.#file || this.#dirty) return;
    this.#dirty = true;
    setImmediate(() => this.flush()).unref();
  }

  #restore(state: SavedIamAccount): void {
    for (const saved of state.policies) {
      const key = policyArn(saved.awsManaged ? 'aws' : this.accountId, saved.path, saved.name).toLowerCase();
      // Built-in AWS managed policies come from the code, which may be newer than the file.
      if (this.#policies.has(key)) continue;
      this.#policies.set(key, {
        ...saved,
        key,
        arn: policyArn(saved.awsManaged ? 'aws' : this.accountId, saved.path, saved.name),
        createDate: new Date(saved.createDate),
        updateDate: new Date(saved.updateDate),
        defaultVersionId: saved.versions.find((version) => version.isDefault)?.versionId ?? saved.versions[0]!.versionId,
        versions: saved.versions.map((version) => ({ ...version, createDate: new Date(version.createDate) })),
        attachmentCount: 0,
      });
    }
    const restoreIdentity = (entity: IdentityRecord, saved: SavedIamAccount['users'][number] | SavedIamAccount['groups'][number]) => {
      for (const arn of saved.attachedPolicies) this.#attach(entity, arn, Number.POSITIVE_INFINITY, '');
      for (const [name, document] of Object.entries(saved.inlinePolicies)) entity.inlinePolicies.set(name, document);
    };
    for (const saved of state.groups) {
      restoreIdentity(this.#insertGroup(saved.name, saved.path, saved.id, new Date(saved.createDate)), saved);
    }
    for (const saved of state.users) {
      const user = this.#insertUser(saved.name, saved.path, saved.tags, saved.id, new Date(saved.createDate));
      restoreIdentity(user, saved);
      for (const groupName of saved.groups) this.addUserToGroup(user.name, groupName);
    }
    for (const saved of state.roles) {
      const role = this.#insertRole(saved.name, saved.path, saved.tags, saved.id, new Date(saved.createDate), {
        trustPolicy: saved.trustPolicy,
        description: saved.description,
        maxSessionDuration: saved.maxSessionDuration,
      });
      restoreIdentity(role, saved);
    }
    this.#sequence = Math.max(this.#sequence, state.sequence);
  }

  #insertUser(name: string, path: string, tags: readonly Tag[], id: string, createDate: Date): UserRecord {
    const key = name.toLowerCase();
    const user: UserRecord = {
      kind: 'user',
      key,
      name,
      id,
      arn: `arn:aws:iam::${this.accountId}:user${path}${name}`,
      path,
      createDate,
      tags: [...tags],
      attachedPolicies: new Map(),
      inlinePolicies: new Map(),
      groups: new Map(),
    };
    this.#users.set(key, user);
    this.#sorted.users = undefined;
    return user;
  }

  #insertRole(
    name: string,
    path: string,
    tags: readonly Tag[],
    id: string,
    createDate: Date,
    settings: Pick<RoleEntity, 'trustPolicy' | 'description' | 'maxSessionDuration'>,
  ): RoleRecord {
    const key = name.toLowerCase();
    const role: RoleRecord = {
      kind: 'role',
      key,
      name,
      id,
      arn: `arn:aws:iam::${this.accountId}:role${path}${name}`,
      path,
      createDate,
      tags: [...tags],
      ...settings,
      attachedPolicies: new Map(),
      inlinePolicies: new Map(),
    };
    this.#roles.set(key, role);
    this.#sorted.roles = undefined;
    return role;
  }

  #insertGroup(name: string, path: string, id: string, createDate: Date): GroupRecord {
    const key = name.toLowerCase();
    const group: GroupRecord = {
      kind: 'group',
      key,
      name,
      id,
      arn: `arn:aws:iam::${this.accountId}:group${path}${name}`,
      path,
      createDate,
      attachedPolicies: new Map(),
      inlinePolicies: new Map(),
      members: new Map(),
    };
    this.#groups.set(key, group);
    this.#sorted.groups = undefined;
    return group;
  }

  #user(userName: string): UserRecord {
    const user = this.#users.get(userName.toLowerCase());
    if (!user) throw noSuchEntity(`The user with name ${userName} cannot be found.`);
    return user;
  }

  #role(roleName: string): RoleRecord {
    const role = this.#roles.get(roleName.toLowerCase());
    if (!role) throw noSuchEntity(`The role with name ${roleName} cannot be found.`);
    return role;
  }

  #group(groupName: string): GroupRecord {
    const group = this.#groups.get(groupName.toLowerCase());
    if (!group) throw noSuchEntity(`The group with name ${groupName} cannot be found.`);
    return group;
  }

  #policy(policyArn: string, missingMessage: string): PolicyRecord {
    if (!POLICY_ARN.test(policyArn)) throw invalidInput(`ARN ${policyArn} is not valid.`);
    const policy = this.#policies.get(policyArn.toLowerCase());
    if (!policy) throw noSuchEntity(missingMessage);
    return policy;
  }

  #id(prefix: string): string {
    // Deterministic ids keep test output stable; the shape (prefix + 17 characters) matches IAM's.
    return prefix + (++this.#sequence).toString(36).toUpperCase().padStart(17, '0');
  }

  #managedDocument(document: string | object): string {
    const text = toPolicyText(document);
    parsePolicyDocument(text);
    if (policySize(text) > this.limits.managedPolicySize) {
      throw limitExceeded(`Cannot exceed quota for PolicySize: ${this.limits.managedPolicySize}`);
    }
    return text;
  }

  #addPolicy(policyName: string, document: string | object, options: CreatePolicyOptions, awsManaged: boolean): PolicyRecord {
    checkName(policyName, POLICY_NAME, 'policyName');
    const path = checkPath(options.path);
    const arn = policyArn(awsManaged ? 'aws' : this.accountId, path, policyName);
    const key = arn.toLowerCase();
    if (this.#policies.has(key)) throw entityAlreadyExists(`A policy called ${policyName} already exists. Duplicate names are not allowed.`);
    const createDate = this.clock();
    const policy: PolicyRecord = {
      key,
      name: policyName,
      id: this.#id('ANPA'),
      arn,
      path,
      description: options.description,
      awsManaged,
      createDate,
      updateDate: createDate,
      defaultVersionId: 'v1',
      versions: [{ versionId: 'v1', document: this.#managedDocument(document), isDefault: true, createDate }],
      attachmentCount: 0,
      nextVersion: 2,
    };
    this.#policies.set(key, policy);
    this.#sorted.policies = undefined;
    this.#changed();
    return policy;
  }

  #attach(entity: IdentityRecord, policyArn: string, limit: number, quotaName: string): void {
    const policy = this.#policy(policyArn, `Policy ${policyArn} does not exist or is not attachable.`);
    if (entity.attachedPolicies.has(policy.key)) return;
    if (entity.attachedPolicies.size >= limit) throw limitExceeded(`Cannot exceed quota for ${quotaName}: ${limit}`);
    entity.attachedPolicies.set(policy.key, policy);
    policy.attachmentCount += 1;
    this.#changed();
  }

  #detach(entity: IdentityRecord, policyArn: string): void {
    const policy = this.#policy(policyArn, `Policy ${policyArn} was not found.`);
    if (!entity.attachedPolicies.delete(policy.key)) throw noSuchEntity(`Policy ${policyArn} was not attached.`);
    policy.attachmentCount -= 1;
    this.#changed();
  }

  #inline(entity: IdentityRecord, kind: string, policyName: string): string {
    const document = entity.inlinePolicies.get(policyName);
    if (document === undefined) throw noSuchEntity(`The ${kind} policy with name ${policyName} cannot be found.`);
    return document;
  }

  #putInline(entity: IdentityRecord, policyName: string, document: string | object, sizeLimit: number): void {
    checkName(policyName, POLICY_NAME, 'policyName');
    const text = toPolicyText(document);
    parsePolicyDocument(text);
    let total = policySize(text);
    for (const [name, existing] of entity.inlinePolicies) if (name !== policyName) total += policySize(existing);
    if (total > sizeLimit) {
      throw limitExceeded(`Maximum policy size of ${sizeLimit} bytes exceeded for ${entity.kind} ${entity.name}`);
    }
    entity.inlinePolicies.set(policyName, text);
    this.#changed();
  }

  #deleteInline(entity: IdentityRecord, kind: string, policyName: string): void {
    this.#inline(entity, kind, policyName);
    entity.inlinePolicies.delete(policyName);
    this.#changed();
  }
}

function checkName(name: string, pattern: RegExp, member: string): void {
  if (typeof name !== 'string' || !pattern.test(name)) {
    throw validationError(
      `1 validation error detected: Value '${name}' at '${member}' failed to satisfy constraint: ` +
        `Member must satisfy regular expression pattern: ${pattern.source}`,
    );
  }
}

function checkPath(path: string | undefined): string {
  if (path === undefined) return '/';
  if (!PATH.test(path)) {
    throw validationError(`1 validation error detected: Value '${path}' at 'path' failed to satisfy constraint`);
  }
  return path;
}

const savedTags = (tags: readonly Tag[]) => tags.map((tag) => ({ Key: tag.Key ?? '', Value: tag.Value ?? '' }));

function policiesView(entity: IdentityEntity): Pick<UserView, 'attachedPolicies' | 'inlinePolicies'> {
  return {
    attachedPolicies: [...entity.attachedPolicies.values()].map((policy) => policy.arn),
    inlinePolicies: Object.fromEntries(
      [...entity.inlinePolicies].map(([name, text]) => [name, JSON.parse(text) as object]),
    ),
  };
}
