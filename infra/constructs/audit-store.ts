import { RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, BillingMode, StreamViewType, Table, TableEncryption, type TableProps } from 'aws-cdk-lib/aws-dynamodb';
import { Grant, type IGrantable } from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';

/** Index names, as functions/access/adapters/dynamodb.ts queries them. */
export const AUDIT_INDEXES = ['byKind'] as const;
export const REQUESTS_INDEXES = ['byStatus', 'byRequester', 'byPrincipal'] as const;

const READ_ACTIONS = ['dynamodb:GetItem', 'dynamodb:Query'];

// Both tables hold the only record of who had which access when: never lose them by accident.
const DURABLE: Partial<TableProps> = {
  billingMode: BillingMode.PAY_PER_REQUEST,
  pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
  deletionProtection: true,
  removalPolicy: RemovalPolicy.RETAIN,
  encryption: TableEncryption.AWS_MANAGED,
};

/**
 * The append-only, hash-chained audit log (the commit point) and the requests projection built from
 * it. Separate tables keep the IAM rule simple: no function may update or delete audit items.
 */
export class AuditStore extends Construct {
  /** Records keyed (requestId, seq); written only with a conditional PutItem. */
  readonly auditTable: Table;
  /** One mutable item per request, for lists and the sweeper. */
  readonly requestsTable: Table;

  constructor(scope: Construct, id: string) {
    super(scope, id);

    this.auditTable = new Table(this, 'Audit', {
      ...DURABLE,
      partitionKey: { name: 'requestId', type: AttributeType.STRING },
      sortKey: { name: 'seq', type: AttributeType.NUMBER },
      // New records only (the log is never updated); a later issue forwards them to a SIEM bus.
      stream: StreamViewType.NEW_IMAGE,
    });
    this.auditTable.addGlobalSecondaryIndex({
      indexName: 'byKind',
      partitionKey: { name: 'kind', type: AttributeType.STRING },
      sortKey: { name: 'at', type: AttributeType.STRING },
    });

    this.requestsTable = new Table(this, 'Requests', {
      ...DURABLE,
      partitionKey: { name: 'id', type: AttributeType.STRING },
    });
    this.requestsTable.addGlobalSecondaryIndex({
      indexName: 'byStatus',
      partitionKey: { name: 'status', type: AttributeType.STRING },
      sortKey: { name: 'sortAt', type: AttributeType.STRING },
    });
    this.requestsTable.addGlobalSecondaryIndex({
      indexName: 'byRequester',
      partitionKey: { name: 'requester', type: AttributeType.STRING },
      sortKey: { name: 'createdAt', type: AttributeType.STRING },
    });
    this.requestsTable.addGlobalSecondaryIndex({
      indexName: 'byPrincipal',
      partitionKey: { name: 'principal', type: AttributeType.STRING },
      sortKey: { name: 'createdAt', type: AttributeType.STRING },
    });
  }

  /**
   * Append to the audit log: PutItem (the adapter always sends a not-exists condition) plus reads.
   * Never UpdateItem, DeleteItem or BatchWriteItem: an appended record cannot be changed.
   */
  grantAuditAppend(grantee: IGrantable): Grant {
    return this.grantAuditRead(grantee).combine(
      Grant.addToPrincipal({ grantee, actions: ['dynamodb:PutItem'], resourceArns: [this.auditTable.tableArn] }),
    );
  }

  grantAuditRead(grantee: IGrantable): Grant {
    return Grant.addToPrincipal({ grantee, actions: READ_ACTIONS, resourceArns: withIndexes(this.auditTable, AUDIT_INDEXES) });
  }

  grantRequestsRead(grantee: IGrantable): Grant {
    return Grant.addToPrincipal({ grantee, actions: READ_ACTIONS, resourceArns: withIndexes(this.requestsTable, REQUESTS_INDEXES) });
  }

  /** The projection is written with conditional UpdateItem only (save and task tokens); no PutItem. */
  grantRequestsUpdate(grantee: IGrantable): Grant {
    return Grant.addToPrincipal({ grantee, actions: ['dynamodb:UpdateItem'], resourceArns: [this.requestsTable.tableArn] });
  }

  grantRequestsReadWrite(grantee: IGrantable): Grant {
    return this.grantRequestsRead(grantee).combine(this.grantRequestsUpdate(grantee));
  }
}

/** The table and each named index, instead of `<table>/index/*`. */
function withIndexes(table: Table, indexes: readonly string[]): string[] {
  return [table.tableArn, ...indexes.map((name) => `${table.tableArn}/index/${name}`)];
}
