import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { StateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import type { CatalogSnapshot } from '../../functions/access/domain/ports.js';
import { ACCESS_REQUEST_ASL, ACCESS_REQUEST_TASKS, type TaskAccess } from '../../statemachines/access-request.js';
import { type IamScope, iamScope, iamStatements } from '../iam-scope.js';
import { AslStateMachine, grantTaskResponse } from './asl-state-machine.js';
import type { AuditStore } from './audit-store.js';
import { NodeFunction } from './node-function.js';
import type { Notifications } from './notifications.js';

export interface AccessPipelineProps {
  readonly catalog: CatalogSnapshot;
  readonly store: AuditStore;
  readonly notifications: Notifications;
  readonly logRetention: RetentionDays;
}

/**
 * The access-request state machine and one function per Task state. Each function gets exactly
 * what its `needs` in statemachines/access-request.ts say, and the environment that goes with it.
 * No task function knows the state machine's ARN: the machine depends on the functions, so the
 * reverse would be a cycle (callbacks need only the task token).
 */
export class AccessPipeline extends Construct {
  /** Task functions by state name. */
  readonly tasks: Readonly<Record<string, NodeFunction>>;
  readonly stateMachine: StateMachine;
  /** What the IAM steps may change, from the catalog. */
  readonly iamScope: IamScope;

  constructor(scope: Construct, id: string, props: AccessPipelineProps) {
    super(scope, id);
    const { store, notifications } = props;
    this.iamScope = iamScope(props.catalog.catalog);
    const iam = iamStatements(this.iamScope);

    const grants: Record<TaskAccess, (fn: NodeFunction) => void> = {
      read: ({ fn }) => {
        store.grantAuditRead(fn);
        store.grantRequestsRead(fn);
      },
      token: ({ fn }) => {
        store.grantRequestsUpdate(fn); // stores the token on the projection
        grantTaskResponse(fn); // settles its own token when the decision landed first
      },
      decide: ({ fn }) => {
        store.grantAuditAppend(fn);
        store.grantRequestsReadWrite(fn);
      },
      iam: ({ fn }) => iam.forEach((statement) => fn.addToRolePolicy(statement)),
      notify: ({ fn }) => notifications.grantPublishApprovals(fn),
      alert: ({ fn }) => notifications.grantPublishAlerts(fn),
    };

    const tasks: Record<string, NodeFunction> = {};
    for (const task of ACCESS_REQUEST_TASKS) {
      const needs = new Set(task.needs);
      const fn = new NodeFunction(this, task.state, {
        entry: task.entry,
        catalog: props.catalog,
        logRetention: props.logRetention,
        description: `Grantline access request: ${task.state}`,
        environment: {
          AUDIT_TABLE_NAME: store.auditTable.tableName,
          REQUESTS_TABLE_NAME: store.requestsTable.tableName,
          // A topic ARN only where publishing is allowed: without it the function stays silent
          // instead of failing on AccessDenied.
          ...(needs.has('notify') ? { APPROVAL_TOPIC_ARN: notifications.approvals.topicArn } : {}),
          ...(needs.has('alert') ? { ALERT_TOPIC_ARN: notifications.alerts.topicArn } : {}),
        },
      });
      for (const need of needs) grants[need](fn);
      tasks[task.state] = fn;
    }
    this.tasks = tasks;

    const machine = new AslStateMachine(this, 'AccessRequest', {
      file: ACCESS_REQUEST_ASL,
      functions: Object.fromEntries(ACCESS_REQUEST_TASKS.map((task) => [task.placeholder, tasks[task.state]!.fn])),
      logRetention: props.logRetention,
    });
    this.stateMachine = machine.stateMachine;
  }
}
