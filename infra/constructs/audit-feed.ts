import { Duration } from 'aws-cdk-lib';
import type { IEventBus } from 'aws-cdk-lib/aws-events';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { CfnPipe } from 'aws-cdk-lib/aws-pipes';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { CatalogSnapshot } from '../../functions/access/domain/ports.js';
import { AUDIT_EVENT_DETAIL_TYPE, AUDIT_EVENT_SOURCE } from '../../functions/monitoring/domain/audit-event.js';
import type { AuditStore } from './audit-store.js';
import { NodeFunction } from './node-function.js';

export const AUDIT_FEED_ENTRY = 'functions/monitoring/handlers/audit-feed.enrich.ts';

export interface AuditFeedProps {
  readonly catalog: CatalogSnapshot;
  readonly store: AuditStore;
  readonly bus: IEventBus;
  readonly logRetention: RetentionDays;
}

/**
 * Every audit record as a "Grantline Audit Record" event on the grantline bus, for SIEMs:
 * audit table stream (NEW_IMAGE) → EventBridge Pipe (INSERTs only) → enrichment function
 * (record → event detail, one per record) → bus. TRIM_HORIZON: a pipe created after records were
 * written still forwards the last 24 hours of them, and a stopped pipe resumes without a gap.
 */
export class AuditFeed extends Construct {
  readonly enrichment: NodeFunction;
  readonly pipe: CfnPipe;
  readonly role: Role;
  /** Stream batches the pipe could not deliver after its retries. */
  readonly deadLetters: Queue;

  constructor(scope: Construct, id: string, props: AuditFeedProps) {
    super(scope, id);
    const { store, bus } = props;
    const streamArn = store.auditTable.tableStreamArn;
    if (!streamArn) throw new Error('The audit table needs a stream for the audit feed');

    this.enrichment = new NodeFunction(this, 'Enrichment', {
      entry: AUDIT_FEED_ENTRY,
      catalog: props.catalog,
      logRetention: props.logRetention,
      description: 'Grantline audit feed: stream record → event detail',
      timeout: Duration.seconds(30),
    });
    this.deadLetters = new Queue(this, 'DeadLetters', { encryption: QueueEncryption.SQS_MANAGED, enforceSSL: true, retentionPeriod: Duration.days(14) });

    this.role = new Role(this, 'PipeRole', { assumedBy: new ServicePrincipal('pipes.amazonaws.com'), description: 'Grantline audit feed pipe' });
    this.role.addToPolicy(
      new PolicyStatement({ actions: ['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator', 'dynamodb:ListStreams'], resources: [streamArn] }),
    );
    this.role.addToPolicy(new PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [this.enrichment.fn.functionArn] }));
    bus.grantPutEventsTo(this.role);
    this.deadLetters.grantSendMessages(this.role);

    this.pipe = new CfnPipe(this, 'Pipe', {
      description: 'Grantline audit records → grantline bus',
      roleArn: this.role.roleArn,
      source: streamArn,
      sourceParameters: {
        dynamoDbStreamParameters: {
          startingPosition: 'TRIM_HORIZON',
          batchSize: 10,
          maximumBatchingWindowInSeconds: 1,
          maximumRetryAttempts: 10,
          maximumRecordAgeInSeconds: 86_400,
          onPartialBatchItemFailure: 'AUTOMATIC_BISECT',
          deadLetterConfig: { arn: this.deadLetters.queueArn },
        },
        filterCriteria: { filters: [{ pattern: JSON.stringify({ eventName: ['INSERT'] }) }] },
      },
      enrichment: this.enrichment.fn.functionArn,
      target: bus.eventBusArn,
      targetParameters: { eventBridgeEventBusParameters: { source: AUDIT_EVENT_SOURCE, detailType: AUDIT_EVENT_DETAIL_TYPE } },
    });
    this.pipe.node.addDependency(this.role);
  }
}
