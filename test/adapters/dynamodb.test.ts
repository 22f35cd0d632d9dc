import 'aws-sdk-client-mock-vitest/extend';
import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import {
  DynamoAuditLog,
  DynamoRequestStore,
  decodePageToken,
  documentClient,
  encodePageToken,
} from '../../functions/access/adapters/dynamodb.js';
import { ConcurrentWriteError, ValidationError } from '../../functions/access/domain/errors.js';
import { sealDraft } from '../../functions/access/use-cases/commit.js';
import { requestState } from '../helpers/requests.js';

const ddbMock = mockClient(DynamoDBDocumentClient);
const ddb = documentClient(new DynamoDBClient({ region: 'us-east-1' }));
const audit = new DynamoAuditLog(ddb, 'audit-table');
const store = new DynamoRequestStore(ddb, 'requests-table');

const record = sealDraft('req-1', { action: 'REQUESTED', actor: 'alice', detail: {}, state: requestState({ id: 'req-1' }) }, undefined, new Date('2030-01-15T10:00:00Z'), 'v1');
const conditionFailed = () => new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });

afterEach(() => {
  ddbMock.reset();
});

describe('DynamoAuditLog', () => {
  it('appends with a condition that the (requestId, seq) key does not exist yet', async () => {
    // Prepare
    ddbMock.on(PutCommand).resolves({});

    // Act
    await audit.append(record);

    // Assess
    expect(ddbMock).toHaveReceivedCommandWith(PutCommand, {
      TableName: 'audit-table',
      Item: record,
      ConditionExpression: 'attribute_not_exists(requestId) AND attribute_not_exists(seq)',
    });
  });

  it('turns a failed condition into ConcurrentWriteError', async () => {
    ddbMock.on(PutCommand).rejects(conditionFailed());

    await expect(audit.append(record)).rejects.toBeInstanceOf(ConcurrentWriteError);
  });

  it('passes any other error through', async () => {
    ddbMock.on(PutCommand).rejects(new Error('network down'));

    await expect(audit.append(record)).rejects.toThrow('network down');
  });

  it('reads the latest record with a consistent, newest-first query of one item', async () => {
    // Prepare
    ddbMock.on(QueryCommand).resolves({ Items: [record] });

    // Act
    const latest = await audit.latest('req-1');

    // Assess
    expect(latest).toEqual(record);
    expect(ddbMock).toHaveReceivedCommandWith(QueryCommand, {
      TableName: 'audit-table',
      KeyConditionExpression: 'requestId = :id',
      ExpressionAttributeValues: { ':id': 'req-1' },
      ScanIndexForward: false,
      Limit: 1,
      ConsistentRead: true,
    });
  });

  it('answers undefined for a request without records', async () => {
    ddbMock.on(QueryCommand).resolves({ Items: [] });

    expect(await audit.latest('req-nope')).toBeUndefined();
  });

  it('lists every record across pages', async () => {
    // Prepare
    const second = { ...record, seq: 2 };
    ddbMock
      .on(QueryCommand)
      .resolvesOnce({ Items: [record], LastEvaluatedKey: { requestId: 'req-1', seq: 1 } })
      .resolvesOnce({ Items: [second] });

    // Act
    const all = await audit.list('req-1');

    // Assess
    expect(all.map((r) => r.seq)).toEqual([1, 2]);
    expect(ddbMock).toHaveReceivedCommandTimes(QueryCommand, 2);
    expect(ddbMock).toHaveReceivedNthCommandWith(QueryCommand, 2, { ExclusiveStartKey: { requestId: 'req-1', seq: 1 } });
  });

  it('lists records of a kind newest first and pages with a token', async () => {
    // Prepare
    ddbMock.on(QueryCommand).resolves({ Items: [record], LastEvaluatedKey: { kind: 'ANOMALY', at: 'x', requestId: 'r', seq: 1 } });

    // Act
    const page = await audit.listByKind('ANOMALY', '2030-01-01T00:00:00Z', { limit: 10 });

    // Assess
    expect(page.nextToken).toBeDefined();
    expect(ddbMock).toHaveReceivedCommandWith(QueryCommand, { IndexName: 'byKind', Limit: 10, ScanIndexForward: false });
  });
});

describe('DynamoRequestStore', () => {
  it('saves the projection only over an older seq', async () => {
    // Prepare
    ddbMock.on(UpdateCommand).resolves({});
    const state = requestState({ id: 'req-1', seq: 3 });

    // Act
    await store.save(state);

    // Assess
    expect(ddbMock).toHaveReceivedCommandWith(UpdateCommand, {
      TableName: 'requests-table',
      Key: { id: 'req-1' },
      ConditionExpression: 'attribute_not_exists(#seq) OR #seq < :seq',
      ExpressionAttributeValues: expect.objectContaining({ ':seq': 3, ':status': 'PENDING_APPROVAL', ':doc': state }),
    });
  });

  it('ignores a stale write: a newer state is already projected', async () => {
    ddbMock.on(UpdateCommand).rejects(conditionFailed());

    await expect(store.save(requestState())).resolves.toBeUndefined();
  });

  it('passes other write errors through', async () => {
    ddbMock.on(UpdateCommand).rejects(new Error('ProvisionedThroughputExceeded'));

    await expect(store.save(requestState())).rejects.toThrow('ProvisionedThroughputExceeded');
  });

  it('reads the request and its task tokens', async () => {
    // Prepare
    const state = requestState({ id: 'req-1' });
    ddbMock.on(GetCommand).resolves({ Item: { id: 'req-1', doc: state, approvalToken: 'tok-a', expiryToken: 'tok-e' } });

    // Act
    const stored = await store.get('req-1');

    // Assess
    expect(stored).toEqual({ request: state, tokens: { approval: 'tok-a', expiry: 'tok-e' } });
    expect(ddbMock).toHaveReceivedCommandWith(GetCommand, { Key: { id: 'req-1' }, ConsistentRead: true });
  });

  it('answers undefined for an unknown request', async () => {
    ddbMock.on(GetCommand).resolves({});

    expect(await store.get('req-nope')).toBeUndefined();
  });

  it('stores a task token in its own attribute', async () => {
    ddbMock.on(UpdateCommand).resolves({});

    await store.setTaskToken('req-1', 'expiry', 'tok-e');

    expect(ddbMock).toHaveReceivedCommandWith(UpdateCommand, {
      Key: { id: 'req-1' },
      ExpressionAttributeNames: { '#token': 'expiryToken' },
      ExpressionAttributeValues: { ':token': 'tok-e' },
    });
  });

  it('round-trips page tokens: the next query starts where the last stopped', async () => {
    // Prepare
    const lastKey = { id: 'req-2', requester: 'arn:aws:iam::000000000000:user/alice', createdAt: '2030-01-15T10:00:00.000Z' };
    const state = requestState();
    ddbMock.on(QueryCommand).resolvesOnce({ Items: [{ doc: state }], LastEvaluatedKey: lastKey }).resolvesOnce({ Items: [] });

    // Act
    const first = await store.query({ by: 'requester', requester: state.requester }, { limit: 1 });
    const second = await store.query({ by: 'requester', requester: state.requester }, { limit: 1, nextToken: first.nextToken });

    // Assess
    expect(first.items).toEqual([state]);
    expect(second.nextToken).toBeUndefined();
    expect(ddbMock).toHaveReceivedNthCommandWith(QueryCommand, 1, { IndexName: 'byRequester', Limit: 1 });
    expect(ddbMock).toHaveReceivedNthCommandWith(QueryCommand, 2, { ExclusiveStartKey: lastKey });
  });

  it('refuses a garbage page token, naming nextToken, without calling DynamoDB', async () => {
    // Act
    const attempt = store.query({ by: 'status', status: 'ACTIVE' }, { limit: 10, nextToken: 'not-a-token!' });

    // Assess
    await expect(attempt).rejects.toBeInstanceOf(ValidationError);
    await expect(attempt).rejects.toMatchObject({ field: 'nextToken' });
    expect(ddbMock).not.toHaveReceivedCommand(QueryCommand);
  });

  it('queries the status index oldest first up to a time for the sweeper', async () => {
    ddbMock.on(QueryCommand).resolves({ Items: [] });

    await store.query({ by: 'status', status: 'ACTIVE', expiresBefore: '2030-01-15T12:00:00.000Z' }, { limit: 25 });

    expect(ddbMock).toHaveReceivedCommandWith(QueryCommand, {
      IndexName: 'byStatus',
      KeyConditionExpression: '#status = :v AND sortAt < :before',
      ExpressionAttributeValues: { ':v': 'ACTIVE', ':before': '2030-01-15T12:00:00.000Z' },
      ScanIndexForward: true,
    });
  });

  it('queries the principal index', async () => {
    ddbMock.on(QueryCommand).resolves({ Items: [] });

    await store.query({ by: 'principal', principal: 'arn:aws:iam::000000000000:role/ops' }, { limit: 100 });

    expect(ddbMock).toHaveReceivedCommandWith(QueryCommand, { IndexName: 'byPrincipal', ExpressionAttributeValues: { ':v': 'arn:aws:iam::000000000000:role/ops' } });
  });

  it('bounds a principal query by creation time when asked, newest first', async () => {
    ddbMock.on(QueryCommand).resolves({ Items: [] });

    await store.query({ by: 'principal', principal: 'arn:aws:iam::000000000000:role/ops', createdSince: '2030-01-14T11:00:00.000Z' }, { limit: 100 });

    expect(ddbMock).toHaveReceivedCommandWith(QueryCommand, {
      IndexName: 'byPrincipal',
      KeyConditionExpression: 'principal = :v AND createdAt >= :since',
      ExpressionAttributeValues: { ':v': 'arn:aws:iam::000000000000:role/ops', ':since': '2030-01-14T11:00:00.000Z' },
      ScanIndexForward: false,
    });
  });
});

describe('page tokens', () => {
  it('encode a key opaquely and decode it back', () => {
    const key = { id: 'req-1', status: 'ACTIVE', sortAt: '2030' };

    expect(decodePageToken(encodePageToken(key))).toEqual(key);
    expect(encodePageToken(undefined)).toBeUndefined();
    expect(decodePageToken(undefined)).toBeUndefined();
  });

  it.each(['%%%', Buffer.from('[1,2]').toString('base64url'), Buffer.from('"text"').toString('base64url'), Buffer.from('null').toString('base64url')])(
    'refuses %j',
    (token) => {
      expect(() => decodePageToken(token)).toThrow(ValidationError);
    },
  );
});
