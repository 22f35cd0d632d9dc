import { Template } from 'aws-cdk-lib/assertions';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { describe, expect, it } from 'vitest';
import { AuditStore } from '../../infra/constructs/audit-store.js';
import { asList, bareStack, policyStatements, text } from './helpers.js';

function store() {
  const stack = bareStack();
  const audit = new AuditStore(stack, 'Store');
  const role = (id: string) => new Role(stack, id, { assumedBy: new ServicePrincipal('lambda.amazonaws.com') });
  return { stack, audit, role };
}

const tableId = (template: Template, name: 'Audit' | 'Requests') =>
  Object.keys(template.findResources('AWS::DynamoDB::Table')).find((id) => id.startsWith(`Store${name}`))!;

describe('AuditStore', () => {
  it('keys the audit log by (requestId, seq) with a byKind index and a NEW_IMAGE stream', () => {
    const { stack } = store();
    Template.fromStack(stack).hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [
        { AttributeName: 'requestId', KeyType: 'HASH' },
        { AttributeName: 'seq', KeyType: 'RANGE' },
      ],
      AttributeDefinitions: [
        { AttributeName: 'requestId', AttributeType: 'S' },
        { AttributeName: 'seq', AttributeType: 'N' },
        { AttributeName: 'kind', AttributeType: 'S' },
        { AttributeName: 'at', AttributeType: 'S' },
      ],
      GlobalSecondaryIndexes: [
        {
          IndexName: 'byKind',
          KeySchema: [
            { AttributeName: 'kind', KeyType: 'HASH' },
            { AttributeName: 'at', KeyType: 'RANGE' },
          ],
        },
      ],
      StreamSpecification: { StreamViewType: 'NEW_IMAGE' },
    });
  });

  it('keys the requests projection by id with the byStatus, byRequester and byPrincipal indexes', () => {
    const { stack } = store();
    const template = Template.fromStack(stack);
    const requests = template.findResources('AWS::DynamoDB::Table')[tableId(template, 'Requests')]!;
    expect(requests['Properties'].KeySchema).toEqual([{ AttributeName: 'id', KeyType: 'HASH' }]);
    const indexes = Object.fromEntries(
      (requests['Properties'].GlobalSecondaryIndexes as { IndexName: string; KeySchema: { AttributeName: string }[] }[]).map((i) => [
        i.IndexName,
        i.KeySchema.map((k) => k.AttributeName),
      ]),
    );
    expect(indexes).toEqual({ byStatus: ['status', 'sortAt'], byRequester: ['requester', 'createdAt'], byPrincipal: ['principal', 'createdAt'] });
  });

  it('makes both tables durable: on-demand, PITR, retained, deletion-protected, AWS-managed encryption', () => {
    const { stack } = store();
    const tables = Template.fromStack(stack).findResources('AWS::DynamoDB::Table');
    expect(Object.keys(tables)).toHaveLength(2);
    for (const table of Object.values(tables)) {
      expect(table['DeletionPolicy']).toBe('Retain');
      expect(table['UpdateReplacePolicy']).toBe('Retain');
      expect(table['Properties']).toMatchObject({
        BillingMode: 'PAY_PER_REQUEST',
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        DeletionProtectionEnabled: true,
        SSESpecification: { SSEEnabled: true },
      });
      expect(table['Properties'].SSESpecification.KMSMasterKeyId).toBeUndefined();
    }
  });

  it('lets an appender put and read audit records, and nothing else', () => {
    const { stack, audit, role } = store();
    audit.grantAuditAppend(role('Appender'));
    const template = Template.fromStack(stack);
    const actions = policyStatements(template).flatMap(({ statement }) => asList(statement.Action));
    expect([...new Set(actions)].sort()).toEqual(['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query']);
    const put = policyStatements(template).find(({ statement }) => asList(statement.Action).includes('dynamodb:PutItem'))!;
    expect(text(put.statement.Resource)).toContain(tableId(template, 'Audit'));
    expect(text(put.statement.Resource)).not.toContain('/index/');
  });

  it('lets the projection be read and updated, without PutItem', () => {
    const { stack, audit, role } = store();
    audit.grantRequestsReadWrite(role('Projector'));
    const template = Template.fromStack(stack);
    const statements = policyStatements(template).map(({ statement }) => statement);
    expect([...new Set(statements.flatMap((s) => asList(s.Action)))].sort()).toEqual(['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:UpdateItem']);
    const reads = text(statements.find((s) => asList(s.Action).includes('dynamodb:Query'))!.Resource);
    for (const index of ['byStatus', 'byRequester', 'byPrincipal']) expect(reads).toContain(`/index/${index}`);
    expect(reads).not.toContain('/index/*');
    expect(text(statements)).not.toContain(tableId(template, 'Audit'));
  });
});
