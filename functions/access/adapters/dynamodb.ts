import { ConditionalCheckFailedException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, ScanCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { ConcurrentWriteError, ValidationError } from '../domain/errors.js';
import type { AuditLog, Page, PageRequest, RequestQuery, RequestStore, StoredRequest, TaskTokenKind } from '../domain/ports.js';
import type { AccessRequest, AuditRecord } from '../domain/types.js';

export function documentClient(client: DynamoDBClient): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
}

export function encodePageToken(key: Record<string, unknown> | undefined): string | undefined {
  return key ? Buffer.from(JSON.stringify(key)).toString('base64url') : undefined;
}

export function decodePageToken(token: string | undefined): Record<string, unknown> | undefined {
  if (token === undefined) return undefined;
  try {
    const key: unknown = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    if (key && typeof key === 'object' && !Array.isArray(key)) return key as Record<string, unknown>;
  } catch {
    // fall through to the validation error
  }
  throw new ValidationError('nextToken is not a token this API returned', 'nextToken');
}

/** Audit records: PutItem with a not-exists condition is the only write (the IAM policy allows no other). */
export class DynamoAuditLog implements AuditLog {
  constructor(
    private readonly ddb: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async latest(requestId: string): Promise<AuditRecord | undefined> {
    const out = await this.ddb.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'requestId = :id',
        ExpressionAttributeValues: { ':id': requestId },
        ScanIndexForward: false,
        Limit: 1,
        ConsistentRead: true,
      }),
    );
    return out.Items?.[0] as AuditRecord | undefined;
  }

  async list(requestId: string): Promise<AuditRecord[]> {
    const items: AuditRecord[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const out = await this.ddb.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'requestId = :id',
          ExpressionAttributeValues: { ':id': requestId },
          ConsistentRead: true,
          ExclusiveStartKey: start,
        }),
      );
      items.push(...((out.Items ?? []) as AuditRecord[]));
      start = out.LastEvaluatedKey;
    } while (start);
    return items;
  }

  async append(record: AuditRecord): Promise<void> {
    try {
      await this.ddb.send(
        new PutCommand({
          TableName: this.tableName,
          Item: record,
          ConditionExpression: 'attribute_not_exists(requestId) AND attribute_not_exists(seq)',
        }),
      );
    } catch (err) {
      if (err instanceof ConditionalCheckFailedException || (err as Error)?.name === 'ConditionalCheckFailedException') {
        throw new ConcurrentWriteError(`Audit record ${record.requestId}#${record.seq} was written by a concurrent change`);
      }
      throw err;
    }
  }

  async listByKind(kind: string, since: string, page: PageRequest): Promise<Page<AuditRecord>> {
    const out = await this.ddb.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: 'byKind',
        KeyConditionExpression: 'kind = :kind AND #at >= :since',
        ExpressionAttributeNames: { '#at': 'at' },
        ExpressionAttributeValues: { ':kind': kind, ':since': since },
        ScanIndexForward: false,
        Limit: page.limit,
        ExclusiveStartKey: decodePageToken(page.nextToken),
      }),
    );
    const nextToken = encodePageToken(out.LastEvaluatedKey);
    return { items: (out.Items ?? []) as AuditRecord[], ...(nextToken ? { nextToken } : {}) };
  }
}

const TOKEN_ATTRIBUTE: Record<TaskTokenKind, string> = { approval: 'approvalToken', expiry: 'expiryToken' };

/** Sort key of the status index: what the sweeper orders by (expiry, else approval deadline). */
export function statusSortKey(r: AccessRequest): string {
  return r.expiresAt ?? r.approvalDeadline ?? r.createdAt;
}

/** The projection table: one item per request, written only with a newer seq. */
export class DynamoRequestStore implements RequestStore {
  constructor(
    private readonly ddb: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async save(request: AccessRequest): Promise<void> {
    try {
      await this.ddb.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { id: request.id },
          UpdateExpression:
            'SET #doc = :doc, #seq = :seq, #status = :status, requester = :requester, principal = :principal, createdAt = :createdAt, sortAt = :sortAt',
          ConditionExpression: 'attribute_not_exists(#seq) OR #seq < :seq',
          ExpressionAttributeNames: { '#doc': 'doc', '#seq': 'seq', '#status': 'status' },
          ExpressionAttributeValues: {
            ':doc': request,
            ':seq': request.seq,
            ':status': request.status,
            ':requester': request.requester,
            ':principal': request.principal,
            ':createdAt': request.createdAt,
            ':sortAt': statusSortKey(request),
          },
        }),
      );
    } catch (err) {
      // A newer state is already projected: this write is stale, not failed.
      if (err instanceof ConditionalCheckFailedException || (err as Error)?.name === 'ConditionalCheckFailedException') return;
      throw err;
    }
  }

  async get(id: string): Promise<StoredRequest | undefined> {
    const out = await this.ddb.send(new GetCommand({ TableName: this.tableName, Key: { id }, ConsistentRead: true }));
    if (!out.Item) return undefined;
    const tokens: StoredRequest['tokens'] = {
      ...(out.Item['approvalToken'] ? { approval: out.Item['approvalToken'] as string } : {}),
      ...(out.Item['expiryToken'] ? { expiry: out.Item['expiryToken'] as string } : {}),
    };
    return { request: out.Item['doc'] as AccessRequest | undefined, tokens };
  }

  async setTaskToken(id: string, kind: TaskTokenKind, token: string): Promise<void> {
    await this.ddb.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { id },
        UpdateExpression: 'SET #token = :token',
        ExpressionAttributeNames: { '#token': TOKEN_ATTRIBUTE[kind] },
        ExpressionAttributeValues: { ':token': token },
      }),
    );
  }

  async query(query: RequestQuery, page: PageRequest): Promise<Page<AccessRequest>> {
    if (query.by === 'createdSince') return this.scanCreatedSince(query.since, page);
    const common = { TableName: this.tableName, Limit: page.limit, ExclusiveStartKey: decodePageToken(page.nextToken), ScanIndexForward: false };
    const input =
      query.by === 'requester'
        ? { ...common, IndexName: 'byRequester', KeyConditionExpression: 'requester = :v', ExpressionAttributeValues: { ':v': query.requester } }
        : query.by === 'principal'
          ? query.createdSince
            ? {
                ...common,
                IndexName: 'byPrincipal',
                KeyConditionExpression: 'principal = :v AND createdAt >= :since',
                ExpressionAttributeValues: { ':v': query.principal, ':since': query.createdSince },
              }
            : { ...common, IndexName: 'byPrincipal', KeyConditionExpression: 'principal = :v', ExpressionAttributeValues: { ':v': query.principal } }
          : query.expiresBefore
            ? {
                ...common,
                ScanIndexForward: true,
                IndexName: 'byStatus',
                KeyConditionExpression: '#status = :v AND sortAt < :before',
                ExpressionAttributeNames: { '#status': 'status' },
                ExpressionAttributeValues: { ':v': query.status, ':before': query.expiresBefore },
              }
            : {
                ...common,
                IndexName: 'byStatus',
                KeyConditionExpression: '#status = :v',
                ExpressionAttributeNames: { '#status': 'status' },
                ExpressionAttributeValues: { ':v': query.status },
              };
    const out = await this.ddb.send(new QueryCommand(input)).catch((err: unknown) => {
      // A well-formed token that is not a key of this index: still the caller's mistake.
      if (page.nextToken !== undefined && (err as Error)?.name === 'ValidationException') {
        throw new ValidationError('nextToken is not a token this API returned for this query', 'nextToken');
      }
      throw err;
    });
    const nextToken = encodePageToken(out.LastEvaluatedKey);
    return { items: (out.Items ?? []).filter((i) => i['doc']).map((i) => i['doc'] as AccessRequest), ...(nextToken ? { nextToken } : {}) };
  }

  /**
   * A Scan with a filter: no index orders all requests by creation time, and the daily review is the
   * only reader. `Limit` counts items read before the filter, so a page may be empty yet have a next token.
   */
  private async scanCreatedSince(since: string, page: PageRequest): Promise<Page<AccessRequest>> {
    const out = await this.ddb
      .send(
        new ScanCommand({
          TableName: this.tableName,
          Limit: page.limit,
          ExclusiveStartKey: decodePageToken(page.nextToken),
          FilterExpression: 'createdAt >= :since',
          ExpressionAttributeValues: { ':since': since },
          ProjectionExpression: '#doc',
          ExpressionAttributeNames: { '#doc': 'doc' },
        }),
      )
      .catch((err: unknown) => {
        if (page.nextToken !== undefined && (err as Error)?.name === 'ValidationException') {
          throw new ValidationError('nextToken is not a token this API returned for this query', 'nextToken');
        }
        throw err;
      });
    const nextToken = encodePageToken(out.LastEvaluatedKey);
    return { items: (out.Items ?? []).filter((i) => i['doc']).map((i) => i['doc'] as AccessRequest), ...(nextToken ? { nextToken } : {}) };
  }
}
