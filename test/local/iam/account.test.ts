import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SimulatedIamAccount } from '../../../local/iam/index.js';
import { ADMIN, READ_ONLY } from './client.js';

const S3_READ = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }] };

describe('SimulatedIamAccount', () => {
  describe('seeding', () => {
    it('uses account 000000000000 unless told otherwise', () => {
      expect(new SimulatedIamAccount().createUser('alice').arn).toBe('arn:aws:iam::000000000000:user/alice');
      expect(new SimulatedIamAccount({ accountId: '123456789012' }).createRole('r').arn).toBe('arn:aws:iam::123456789012:role/r');
    });

    it('shows a user as attached policy ARNs, parsed inline documents and group names', () => {
      const account = new SimulatedIamAccount();
      account.createUser('alice');
      account.createGroup('admins');
      account.attachGroupPolicy('admins', ADMIN);
      account.attachUserPolicy('alice', READ_ONLY);
      account.putUserPolicy('alice', 'grant', JSON.stringify(S3_READ));
      account.addUserToGroup('alice', 'admins');

      expect(account.userView('alice')).toEqual({
        userName: 'alice',
        attachedPolicies: [READ_ONLY],
        inlinePolicies: { grant: S3_READ },
        groups: ['admins'],
      });
      expect(account.groupView('admins')).toEqual({ groupName: 'admins', attachedPolicies: [ADMIN], inlinePolicies: {}, members: ['alice'] });
    });

    it('returns no view for an unknown name', () => {
      const account = new SimulatedIamAccount();

      expect(account.userView('nobody')).toBeUndefined();
      expect(account.roleView('nobody')).toBeUndefined();
    });

    it('shows a role with its trust policy, and snapshots the whole account', () => {
      const account = new SimulatedIamAccount();
      const trust = {
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
      };
      account.createRole('fn', trust);
      account.attachRolePolicy('fn', READ_ONLY);
      account.createUser('bob');

      expect(account.roleView('fn')).toEqual({ roleName: 'fn', attachedPolicies: [READ_ONLY], inlinePolicies: {}, trustPolicy: trust });
      expect(account.snapshot()).toMatchObject({
        accountId: '000000000000',
        users: [{ userName: 'bob' }],
        roles: [{ roleName: 'fn' }],
        groups: [],
      });
    });

    it('creates what is missing and keeps what exists with ensure*', () => {
      const account = new SimulatedIamAccount();
      const first = account.ensureUser('alice');

      expect(account.ensureUser('Alice')).toBe(first);
      expect(account.ensureRole('r').name).toBe('r');
      expect(account.ensureGroup('g').name).toBe('g');
    });

    it('deletes a user only once it holds no policies and no groups, as IAM does', () => {
      const account = new SimulatedIamAccount();
      account.createUser('leaver');
      account.createGroup('g');
      account.addUserToGroup('leaver', 'g');

      expect(() => account.deleteUser('leaver')).toThrow(expect.objectContaining({ name: 'DeleteConflictException' }));
      account.removeUserFromGroup('leaver', 'g');
      account.deleteUser('Leaver');

      expect(account.findUser('leaver')).toBeUndefined();
      expect(account.users()).toEqual([]);
      expect(() => account.deleteUser('leaver')).toThrow(expect.objectContaining({ name: 'NoSuchEntityException' }));
    });

    it('attaches by identity kind', () => {
      const account = new SimulatedIamAccount();
      account.createUser('u');
      account.createRole('r');
      account.createGroup('g');

      account.attachPolicy('user', 'u', READ_ONLY);
      account.attachPolicy('role', 'r', READ_ONLY);
      account.attachPolicy('group', 'g', READ_ONLY);
      account.detachPolicy('role', 'r', READ_ONLY);

      expect(account.policy(READ_ONLY).attachmentCount).toBe(2);
    });

    it('refuses an eleventh group for a user', () => {
      const account = new SimulatedIamAccount();
      account.createUser('alice');
      for (let index = 0; index < 11; index++) account.createGroup(`g${index}`);
      for (let index = 0; index < 10; index++) account.addUserToGroup('alice', `g${index}`);

      expect(() => account.addUserToGroup('alice', 'g10')).toThrow(expect.objectContaining({ name: 'LimitExceededException' }));
    });

    it('honours adjusted limits', () => {
      const account = new SimulatedIamAccount({ limits: { managedPoliciesPerUser: 1 } });
      account.createUser('alice');
      account.attachUserPolicy('alice', READ_ONLY);

      expect(() => account.attachUserPolicy('alice', ADMIN)).toThrow(expect.objectContaining({ name: 'LimitExceededException' }));
    });

    it('refuses names IAM refuses', () => {
      const account = new SimulatedIamAccount();

      expect(() => account.createUser('has space')).toThrow(expect.objectContaining({ name: 'ValidationError' }));
      expect(() => account.createUser('x'.repeat(65))).toThrow(expect.objectContaining({ name: 'ValidationError' }));
      expect(() => account.createUser('ok', { path: 'no-slashes' })).toThrow(expect.objectContaining({ name: 'ValidationError' }));
    });

    it('keeps up to five versions of a customer managed policy and switches the default', () => {
      const account = new SimulatedIamAccount();
      const policy = account.createPolicy('p', S3_READ);
      for (let index = 0; index < 4; index++) account.createPolicyVersion(policy.arn, S3_READ, { setAsDefault: index === 1 });

      expect(account.policy(policy.arn).defaultVersionId).toBe('v3');
      expect(account.policy(policy.arn).versions.filter((version) => version.isDefault).map((version) => version.versionId)).toEqual(['v3']);
      expect(() => account.createPolicyVersion(policy.arn, S3_READ)).toThrow(expect.objectContaining({ name: 'LimitExceededException' }));
      expect(() => account.createPolicyVersion(READ_ONLY, S3_READ)).toThrow(expect.objectContaining({ name: 'InvalidInputException' }));
    });

    it('accepts further AWS managed policies by definition', () => {
      const account = new SimulatedIamAccount();
      account.createUser('alice');
      const policy = account.defineAwsManagedPolicy('AWSLambda_ReadOnlyAccess', {
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Action: 'lambda:Get*', Resource: '*' }],
      });

      account.attachUserPolicy('alice', 'arn:aws:iam::aws:policy/AWSLambda_ReadOnlyAccess');

      expect(policy.arn).toBe('arn:aws:iam::aws:policy/AWSLambda_ReadOnlyAccess');
      expect(account.userView('alice')?.attachedPolicies).toEqual([policy.arn]);
    });
  });

  describe('persistence', () => {
    const directories: string[] = [];
    const temporaryDirectory = () => {
      const directory = mkdtempSync(join(tmpdir(), 'grantline-iam-'));
      directories.push(directory);
      return directory;
    };

    afterEach(() => {
      for (const directory of directories.splice(0)) rmSync(directory, { recursive: true, force: true });
    });

    it('round-trips the account through toJSON and fromJSON', () => {
      const account = new SimulatedIamAccount({ accountId: '111122223333' });
      const policy = account.createPolicy('p', S3_READ, { path: '/grantline/', description: 'reads' });
      account.createPolicyVersion(policy.arn, S3_READ, { setAsDefault: true });
      account.createGroup('admins');
      account.attachGroupPolicy('admins', ADMIN);
      const alice = account.createUser('alice', { tags: [{ Key: 'team', Value: 'a' }] });
      account.addUserToGroup('alice', 'admins');
      account.attachUserPolicy('alice', policy.arn);
      account.putUserPolicy('alice', 'grant', S3_READ);
      account.createRole('deployer', undefined, { description: 'ci', maxSessionDuration: 7200 });
      account.attachRolePolicy('deployer', READ_ONLY);

      const restored = SimulatedIamAccount.fromJSON(JSON.parse(JSON.stringify(account)));

      expect(restored.snapshot()).toEqual(account.snapshot());
      expect(restored.user('alice')).toMatchObject({ id: alice.id, arn: alice.arn, createDate: alice.createDate, tags: alice.tags });
      expect(restored.role('deployer')).toMatchObject({ description: 'ci', maxSessionDuration: 7200 });
      expect(restored.policy(policy.arn)).toMatchObject({ defaultVersionId: 'v2', attachmentCount: 1, description: 'reads' });
      expect(restored.policy(ADMIN).attachmentCount).toBe(1);
      expect(restored.createUser('bob').id).not.toBe(alice.id);
    });

    it('refuses a file that is not a saved account', () => {
      expect(() => SimulatedIamAccount.fromJSON({ users: [] })).toThrow();
    });

    it('writes the file at once and again after changes, atomically', async () => {
      const file = join(temporaryDirectory(), 'iam.json');
      const account = new SimulatedIamAccount();
      account.createUser('alice');

      account.persistTo(file);
      const initial = JSON.parse(readFileSync(file, 'utf8')) as { users: unknown[] };
      account.attachUserPolicy('alice', READ_ONLY);
      account.createUser('bob');
      await new Promise((resolve) => setImmediate(resolve));

      const later = SimulatedIamAccount.fromJSON(JSON.parse(readFileSync(file, 'utf8')));
      expect(initial.users).toHaveLength(1);
      expect(later.userView('alice')?.attachedPolicies).toEqual([READ_ONLY]);
      expect(later.findUser('bob')).toBeDefined();
    });

    it('writes pending changes on flush', () => {
      const file = join(temporaryDirectory(), 'iam.json');
      const account = new SimulatedIamAccount();
      account.persistTo(file);
      account.createUser('alice');

      account.flush();

      expect(SimulatedIamAccount.fromJSON(JSON.parse(readFileSync(file, 'utf8'))).findUser('alice')).toBeDefined();
    });
  });
});
