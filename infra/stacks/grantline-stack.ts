import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import type { CatalogSnapshot } from '../../functions/access/domain/ports.js';
import { API_ROUTES } from '../api-routes.js';
import type { GrantlineConfig } from '../config.js';
import { AccessPipeline } from '../constructs/access-pipeline.js';
import { GrantlineApi } from '../constructs/api.js';
import { grantTaskResponse } from '../constructs/asl-state-machine.js';
import { AuditStore } from '../constructs/audit-store.js';
import { NodeFunction } from '../constructs/node-function.js';
import { Notifications } from '../constructs/notifications.js';

export interface GrantlineStackProps extends StackProps {
  readonly config: Pick<GrantlineConfig, 'approverEmail' | 'alertEmail' | 'logRetention'>;
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

    this.api = new GrantlineApi(this, 'Api', {
      routes: API_ROUTES,
      targets: { access: apiFn },
      logRetention: config.logRetention,
    });

    new CfnOutput(this, 'ApiUrl', { value: this.api.url, description: 'Base URL of the API (SigV4-signed requests only)' });
    new CfnOutput(this, 'AuditTableName', { value: this.store.auditTable.tableName });
    new CfnOutput(this, 'RequestsTableName', { value: this.store.requestsTable.tableName });
    new CfnOutput(this, 'StateMachineArn', { value: this.pipeline.stateMachine.stateMachineArn });
    new CfnOutput(this, 'ApprovalTopicArn', { value: this.notifications.approvals.topicArn });
    new CfnOutput(this, 'AlertTopicArn', { value: this.notifications.alerts.topicArn });
  }
}
