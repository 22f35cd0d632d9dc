import { Annotations, CfnOutput, Stack, type StackProps, Token } from 'aws-cdk-lib';
import { EventBus } from 'aws-cdk-lib/aws-events';
import { Construct } from 'constructs';
import type { CatalogSnapshot } from '../../functions/access/domain/ports.js';
import { API_ROUTES } from '../api-routes.js';
import type { GrantlineConfig } from '../config.js';
import { AccessPipeline } from '../constructs/access-pipeline.js';
import { GrantlineApi } from '../constructs/api.js';
import { grantTaskResponse } from '../constructs/asl-state-machine.js';
import { AuditFeed } from '../constructs/audit-feed.js';
import { AuditStore } from '../constructs/audit-store.js';
import { Operations } from '../constructs/operations.js';
import { NodeFunction } from '../constructs/node-function.js';
import { ACCESS_REQUEST_TASKS } from '../../statemachines/access-request.js';
import { Notifications } from '../constructs/notifications.js';

export interface GrantlineStackProps extends StackProps {
  readonly config: Pick<GrantlineConfig, 'approverEmail' | 'alertEmail' | 'logRetention'> &
    Partial<Pick<GrantlineConfig, 'anomalyMode' | 'eventBusName' | 'inWindowWatch' | 'reviewIgnorePrincipals'>>;
  /** The validated catalog, compiled into every function. */
  readonly catalog: CatalogSnapshot;
}

/** Grantline: the API, the access-request pipeline, the audit store and the notification topics. */
export class GrantlineStack extends Stack {
  readonly store: AuditStore;
  readonly notifications: Notifications;
  readonly pipeline: AccessPipeline;
  readonly apiFunction: NodeFunction;
  readonly api: GrantlineApi;
  /** The `grantline` bus: audit feed, review summaries, offboarding events. */
  readonly bus: EventBus;
  readonly operations: Operations;
  readonly auditFeed: AuditFeed;

  constructor(scope: Construct, id: string, props: GrantlineStackProps) {
    super(scope, id, props);
    const { config, catalog } = props;

    this.store = new AuditStore(this, 'Store');
    this.notifications = new Notifications(this, 'Notifications', {
      ...(config.approverEmail ? { approverEmail: config.approverEmail } : {}),
      ...(config.alertEmail ? { alertEmail: config.alertEmail } : {}),
    });
    this.pipeline = new AccessPipeline(this, 'Pipeline', {
      catalog,
      store: this.store,
      notifications: this.notifications,
      logRetention: config.logRetention,
    });

    this.apiFunction = new NodeFunction(this, 'AccessApi', {
      entry: 'functions/access/handlers/api.ts',
      catalog,
      logRetention: config.logRetention,
      description: 'Grantline access API',
      environment: {
        AUDIT_TABLE_NAME: this.store.auditTable.tableName,
        REQUESTS_TABLE_NAME: this.store.requestsTable.tableName,
        STATE_MACHINE_ARN: this.pipeline.stateMachine.stateMachineArn,
      },
    });
    const apiFn = this.apiFunction.fn;
    this.store.grantAuditAppend(apiFn);
    this.store.grantRequestsReadWrite(apiFn);
    this.pipeline.stateMachine.grantStartExecution(apiFn);
    grantTaskResponse(apiFn); // approve/deny/cancel/revoke settle the waiting step's token

    this.bus = new EventBus(this, 'Bus', { eventBusName: config.eventBusName ?? 'grantline', description: 'Grantline audit records, review summaries and offboarding events' });
    this.operations = new Operations(this, 'Operations', {
      catalog,
      store: this.store,
      notifications: this.notifications,
      stateMachine: this.pipeline.stateMachine,
      iamScope: this.pipeline.iamScope,
      bus: this.bus,
      logRetention: config.logRetention,
      anomalyMode: config.anomalyMode ?? 'alert',
      inWindowWatch: config.inWindowWatch ?? false,
      reviewIgnorePrincipals: config.reviewIgnorePrincipals ?? [],
    });
    const grantingTasks = ACCESS_REQUEST_TASKS.filter((t) => t.needs.includes('iam')).map((t) => this.pipeline.tasks[t.state]!.role);
    this.operations.setGrantlineRoles([...grantingTasks, ...this.operations.iamWriterRoles]);
    this.auditFeed = new AuditFeed(this, 'AuditFeed', { catalog, store: this.store, bus: this.bus, logRetention: config.logRetention });

    // IAM is a global service: its CloudTrail events reach EventBridge in us-east-1 only.
    if (!Token.isUnresolved(this.region) && this.region !== 'us-east-1') {
      Annotations.of(this).addWarningV2(
        'grantline:iam-events-region',
        `IAM CloudTrail events are delivered to EventBridge in us-east-1 only; in ${this.region} the untracked-change rule never fires. Deploy Grantline in us-east-1.`,
      );
    }

    this.api = new GrantlineApi(this, 'Api', {
      routes: API_ROUTES,
      targets: { access: apiFn, monitoring: this.operations.functions.monitoringApi.fn, lifecycle: this.operations.functions.lifecycleApi.fn },
      logRetention: config.logRetention,
    });

    new CfnOutput(this, 'ApiUrl', { value: this.api.url, description: 'Base URL of the API (SigV4-signed requests only)' });
    new CfnOutput(this, 'AuditTableName', { value: this.store.auditTable.tableName });
    new CfnOutput(this, 'RequestsTableName', { value: this.store.requestsTable.tableName });
    new CfnOutput(this, 'StateMachineArn', { value: this.pipeline.stateMachine.stateMachineArn });
    new CfnOutput(this, 'ApprovalTopicArn', { value: this.notifications.approvals.topicArn });
    new CfnOutput(this, 'AlertTopicArn', { value: this.notifications.alerts.topicArn });
    new CfnOutput(this, 'EventBusName', { value: this.bus.eventBusName, description: 'Subscribe a SIEM to source "grantline", detail-type "Grantline Audit Record"' });
    new CfnOutput(this, 'EventBusArn', { value: this.bus.eventBusArn });
    new CfnOutput(this, 'ReviewFunctionName', { value: this.operations.functions.review.fn.functionName, description: 'Invoke with {"remediate": true} for an on-demand review' });
    new CfnOutput(this, 'SweeperFunctionName', { value: this.operations.functions.sweeper.fn.functionName });
    new CfnOutput(this, 'DeadLetterQueueUrl', { value: this.operations.deadLetters.queueUrl, description: 'Rule deliveries that failed after retries' });
  }
}
