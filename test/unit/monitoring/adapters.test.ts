import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import {
  DeleteGroupPolicyCommand,
  DeleteLoginProfileCommand,
  DeleteUserPolicyCommand,
  DetachRolePolicyCommand,
  DetachUserPolicyCommand,
  GetAccountAuthorizationDetailsCommand,
  IAMClient,
  RemoveUserFromGroupCommand,
  UpdateAccessKeyCommand,
} from '@aws-sdk/client-iam';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { seal, GENESIS_HASH } from '../../../functions/access/domain/audit-chain.js';
import { DynamoRequestStore, documentClient, encodePageToken } from '../../../functions/access/adapters/dynamodb.js';
import { IamPermanentError, IamTransientError } from '../../../functions/access/domain/errors.js';
import { EventBridgePublisher, EventPublishError } from '../../../functions/monitoring/adapters/event-publisher.js';
import { SdkIamInventory } from '../../../functions/monitoring/adapters/iam-inventory.js';
import { SdkIamRemediator } from '../../../functions/monitoring/adapters/iam-remediator.js';
import { auditRecordToEvent } from '../../../functions/monitoring/domain/audit-event.js';
import { isAdminLikeDocument, allowsAction } from '../../../functions/monitoring/domain/policy.js';
import { ACCOUNT, POLICIES } from '../../helpers/catalog.js';
import { sdkError } from '../../helpers/memory.js';
import { requestState } from '../../helpers/requests.js';

const iam = mockClient(IAMClient);
const events = mockClient(EventBridgeClient);
const ddb = mockClient(DynamoDBDocumentClient);

afterEach(() => {
  iam.reset();
  events.reset();
  ddb.reset();
});

describe("DynamoRequestStore's createdSince scan", () => {
  it('scans with a createdAt filter and pages with the scan key', async () => {
    const state = requestState({ id: 'req-9' });
    ddb.on(ScanCommand).resolves({ Items: [{ doc: state }, { id: 'token-only' }], LastEvaluatedKey: { id: 'req-9' } });
    const store = new DynamoRequestStore(documentClient(new DynamoDBClient({})), 'requests');

    const page = await store.query({ by: 'createdSince', since: '2029-10-17T00:00:00.000Z' }, { limit: 100, nextToken: encodePageToken({ id: 'req-1' }) });

    expect(page).toEqual({ items: [state], nextToken: encodePageToken({ id: 'req-9' }) });
    expect(ddb.commandCalls(ScanCommand)[0]!.args[0].input).toMatchObject({
      TableName: 'requests',
      Limit: 100,
      ExclusiveStartKey: { id: 'req-1' },
      FilterExpression: 'createdAt >= :since',
      ExpressionAttributeValues: { ':since': '2029-10-17T00:00:00.000Z' },
    });
  });
});

describe('SdkIamInventory', () => {
  it('follows the Marker and normalises users, roles and groups with decoded inline documents', async () => {
    const document = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] };
    iam
      .on(GetAccountAuthorizationDetailsCommand, { Marker: undefined })
      .resolves({
        IsTruncated: true,
        Marker: 'page-2',
        UserDetailList: [
          {
            UserName: 'alice',
            Arn: `arn:aws:iam::${ACCOUNT}:user/staff/alice`,
            Path: '/staff/',
            GroupList: ['admins'],
            AttachedManagedPolicies: [{ PolicyName: 'ReadOnlyAccess', PolicyArn: POLICIES.readOnly }],
            UserPolicyList: [{ PolicyName: 'x', PolicyDocument: encodeURIComponent(JSON.stringify(document)) }],
          },
        ],
      })
      .on(GetAccountAuthorizationDetailsCommand, { Marker: 'page-2' })
      .resolves({
        IsTruncated: false,
        RoleDetailList: [{ RoleName: 'deployer', Arn: `arn:aws:iam::${ACCOUNT}:role/deployer`, Path: '/', AttachedManagedPolicies: [{ PolicyArn: POLICIES.admin }] }],
        GroupDetailList: [{ GroupName: 'admins', Arn: `arn:aws:iam::${ACCOUNT}:group/admins`, Path: '/', GroupPolicyList: [{ PolicyName: 'broken', PolicyDocument: '%E0%A4%A' }] }],
      });

    const { snapshot, calls } = await new SdkIamInventory(new IAMClient({})).snapshot();

    expect(calls).toBe(2);
    expect(snapshot).toEqual({
      users: [
        {
          name: 'alice',
          arn: `arn:aws:iam::${ACCOUNT}:user/staff/alice`,
          path: '/staff/',
          groups: ['admins'],
          attachedPolicies: [POLICIES.readOnly],
          inlinePolicies: [{ name: 'x', document }],
        },
      ],
      roles: [{ name: 'deployer', arn: `arn:aws:iam::${ACCOUNT}:role/deployer`, path: '/', attachedPolicies: [POLICIES.admin], inlinePolicies: [] }],
      groups: [{ name: 'admins', arn: `arn:aws:iam::${ACCOUNT}:group/admins`, path: '/', attachedPolicies: [], inlinePolicies: [{ name: 'broken', document: null }] }],
    });
  });

  it('turns throttling into IamTransientError and refusals into IamPermanentError', async () => {
    iam.on(GetAccountAuthorizationDetailsCommand).rejectsOnce(sdkError('Throttling')).rejectsOnce(sdkError('AccessDenied'));
    const inventory = new SdkIamInventory(new IAMClient({}));

    await expect(inventory.snapshot()).rejects.toBeInstanceOf(IamTransientError);
    await expect(inventory.snapshot()).rejects.toBeInstanceOf(IamPermanentError);
  });
});

describe('SdkIamRemediator', () => {
  const remediator = () => new SdkIamRemediator(new IAMClient({}));

  it('sends the IAM call that undoes each kind of change', async () => {
    iam.onAnyCommand().resolves({});

    await remediator().undo({ action: 'DetachPolicy', target: { type: 'user', name: 'mallory' }, policyArn: POLICIES.admin });
    await remediator().undo({ action: 'DetachPolicy', target: { type: 'role', name: 'deployer' }, policyArn: POLICIES.admin });
    await remediator().undo({ action: 'DeleteInlinePolicy', target: { type: 'user', name: 'mallory' }, policyName: 'p' });
    await remediator().undo({ action: 'DeleteInlinePolicy', target: { type: 'group', name: 'admins' }, policyName: 'p' });
    await remediator().undo({ action: 'RemoveUserFromGroup', userName: 'mallory', groupName: 'admins' });
    await remediator().undo({ action: 'DeactivateAccessKey', userName: 'mallory', accessKeyId: 'AKIA1' });
    await remediator().undo({ action: 'DeleteLoginProfile', userName: 'mallory' });

    expect(iam.commandCalls(DetachUserPolicyCommand)[0]!.args[0].input).toEqual({ UserName: 'mallory', PolicyArn: POLICIES.admin });
    expect(iam.commandCalls(DetachRolePolicyCommand)[0]!.args[0].input).toEqual({ RoleName: 'deployer', PolicyArn: POLICIES.admin });
    expect(iam.commandCalls(DeleteUserPolicyCommand)[0]!.args[0].input).toEqual({ UserName: 'mallory', PolicyName: 'p' });
    expect(iam.commandCalls(DeleteGroupPolicyCommand)[0]!.args[0].input).toEqual({ GroupName: 'admins', PolicyName: 'p' });
    expect(iam.commandCalls(RemoveUserFromGroupCommand)[0]!.args[0].input).toEqual({ UserName: 'mallory', GroupName: 'admins' });
    expect(iam.commandCalls(UpdateAccessKeyCommand)[0]!.args[0].input).toEqual({ UserName: 'mallory', AccessKeyId: 'AKIA1', Status: 'Inactive' });
    expect(iam.commandCalls(DeleteLoginProfileCommand)[0]!.args[0].input).toEqual({ UserName: 'mallory' });
  });

  it('treats an object that is already gone as undone, and translates other errors', async () => {
    iam.on(DetachUserPolicyCommand).rejectsOnce(sdkError('NoSuchEntityException')).rejectsOnce(sdkError('AccessDenied'));
    const change = { action: 'DetachPolicy', target: { type: 'user', name: 'mallory' }, policyArn: POLICIES.admin } as const;

    await expect(remediator().undo(change)).resolves.toEqual({ changed: false });
    await expect(remediator().undo(change)).rejects.toMatchObject({ name: 'IamPermanentError', message: expect.stringContaining('DetachUserPolicy') });
  });
});

describe('EventBridgePublisher', () => {
  it('puts one event with source grantline on the bus', async () => {
    events.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e-1' }] });

    await new EventBridgePublisher(new EventBridgeClient({}), 'grantline').publish('Grantline Review Completed', { id: 'r-1' });

    expect(events.commandCalls(PutEventsCommand)[0]!.args[0].input).toEqual({
      Entries: [{ EventBusName: 'grantline', Source: 'grantline', DetailType: 'Grantline Review Completed', Detail: '{"id":"r-1"}' }],
    });
  });

  it('throws when EventBridge refuses the entry', async () => {
    events.on(PutEventsCommand).resolves({ FailedEntryCount: 1, Entries: [{ ErrorCode: 'InternalFailure', ErrorMessage: 'try again' }] });

    await expect(new EventBridgePublisher(new EventBridgeClient({}), 'grantline').publish('X', {})).rejects.toBeInstanceOf(EventPublishError);
  });
});

describe('auditRecordToEvent', () => {
  const record = seal({
    requestId: 'req-0001',
    seq: 2,
    at: '2030-01-15T10:00:02.000Z',
    actor: 'grantline:system',
    action: 'GRANTED',
    detail: { changed: true },
    catalogVersion: 'v1',
    state: requestState({ status: 'ACTIVE', seq: 2 }),
    prevHash: GENESIS_HASH,
  });

  it('carries the record, its status and its hashes', () => {
    expect(auditRecordToEvent(record)).toEqual({
      source: 'grantline',
      detailType: 'Grantline Audit Record',
      time: record.at,
      detail: {
        schemaVersion: 1,
        requestId: 'req-0001',
        seq: 2,
        at: record.at,
        actor: 'grantline:system',
        action: 'GRANTED',
        reason: null,
        kind: null,
        catalogVersion: 'v1',
        status: 'ACTIVE',
        principal: record.state!.principal,
        entitlement: 'prod-read',
        detail: { changed: true },
        detailTruncated: false,
        prevHash: GENESIS_HASH,
        hash: record.hash,
      },
    });
  });

  it('replaces a detail too large for EventBridge by a stub that keeps the summary', () => {
    const big = seal({ ...record, requestId: 'review#r', kind: 'REVIEW', state: undefined, detail: { summary: { findings: 3 }, findings: ['x'.repeat(250_000)] } });

    const event = auditRecordToEvent(big);

    expect(event.detail).toMatchObject({ kind: 'REVIEW', status: null, detailTruncated: true, detail: { truncated: true, summary: { findings: 3 } } });
    expect(Buffer.byteLength(JSON.stringify(event.detail))).toBeLessThan(256 * 1024);
  });
});

describe('policy reading', () => {
  it('knows admin-like documents and matches actions with wildcards', () => {
    expect(isAdminLikeDocument({ Statement: [{ Effect: 'Allow', Action: 'IAM:*', Resource: '*' }] })).toBe(true);
    expect(isAdminLikeDocument({ Statement: { Effect: 'Allow', NotAction: 's3:*', Resource: '*' } })).toBe(true);
    expect(isAdminLikeDocument({ Statement: [{ Effect: 'Allow', Action: 's3:*', Resource: '*' }] })).toBe(false);
    expect(isAdminLikeDocument({ Statement: [{ Effect: 'Deny', Action: '*', Resource: '*' }] })).toBe(false);
    expect(allowsAction({ Statement: [{ Effect: 'Allow', Action: 's3:Get*', Resource: '*' }] }, 's3:GetObject')).toBe(true);
    expect(allowsAction({ Statement: [{ Effect: 'Allow', Action: 's3:Get*', Resource: '*' }] }, 's3:DeleteBucket')).toBe(false);
  });
});
