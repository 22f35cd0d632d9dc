import { Duration, Fn } from 'aws-cdk-lib';
import { type IEventBus, type IRuleTarget, Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { Grant, type IRole, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import type { StateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import type { CatalogSnapshot } from '../../functions/access/domain/ports.js';
import { OFFBOARD_DETAIL_TYPE } from '../../functions/lifecycle/schemas/events.js';
import { WATCHED_IAM_EVENTS } from '../../functions/monitoring/domain/anomaly.js';
import { EXECUTION_STATUS_CHANGE, FAILED_EXECUTION_STATUSES } from '../../functions/monitoring/schemas/execution.js';
import { type IamScope, iamStatements } from '../iam-scope.js';
import { grantTaskResponse } from './asl-state-machine.js';
import type { AuditStore } from './audit-store.js';
import { NodeFunction } from './node-function.js';
import type { Notifications } from './notifications.js';

/** The entries the functions are bundled from (local/monitoring.ts runs the same ones). */
export const OPERATIONS_ENTRIES = {
  anomaly: 'functions/monitoring/handlers/iam-change.event.ts',
  executionEnded: 'functions/monitoring/handlers/execution-ended.event.ts',
  review: 'functions/monitoring/handlers/review.schedule.ts',
  monitoringApi: 'functions/monitoring/handlers/monitoring.api.ts',
  sweeper: 'functions/lifecycle/handlers/sweeper.schedule.ts',
  offboard: 'functions/lifecycle/handlers/offboard.event.ts',
  lifecycleApi: 'functions/lifecycle/handlers/lifecycle.api.ts',
} as const;

export const SWEEP_RATE = Duration.minutes(5);
export const REVIEW_RATE = Duration.days(1);

export interface OperationsProps {
  readonly catalog: CatalogSnapshot;
  readonly store: AuditStore;
  readonly notifications: Notifications;
  readonly stateMachine: StateMachine;
  /** What Grantline may change in IAM (from the catalog): the revoke half bounds these functions too. */
  readonly iamScope: IamScope;
  readonly bus: IEventBus;
  readonly logRetention: RetentionDays;
  readonly anomalyMode: 'alert' | 'revert';
  /** Also send other services' CloudTrail events to the anomaly function (the in-window watch). */
  readonly inWindowWatch: boolean;
  readonly reviewIgnorePrincipals: readonly string[];
}

/**
 * The monitoring and lifecycle functions, their rules and schedules:
 * - anomaly: CloudTrail IAM writes on the default bus (IAM is global: these events exist in
 *   us-east-1 only), plus optionally the in-window watch;
 * - execution-ended: this state machine's executions ending FAILED / TIMED_OUT / ABORTED;
 * - sweeper every 5 minutes, review daily;
 * - offboarding: "Grantline Offboard Principal" events on the grantline bus;
 * - the monitoring and lifecycle API functions (routes in infra/api-routes.ts).
 * Each has its own role with what its code calls and no more.
 */
export class Operations extends Construct {
  readonly functions: Readonly<Record<keyof typeof OPERATIONS_ENTRIES, NodeFunction>>;
  /** Failed rule deliveries, after EventBridge's retries. */
  readonly deadLetters: Queue;
  readonly rules: { readonly iamChanges: Rule; readonly inWindowWatch?: Rule; readonly executionEnded: Rule; readonly sweeper: Rule; readonly review: Rule; readonly offboard: Rule };
  /** Roles whose IAM changes are Grantline's own (the anomaly function's GRANTLINE_ROLE_ARNS). */
  readonly iamWriterRoles: IRole[];

  constructor(scope: Construct, id: string, props: OperationsProps) {
    super(scope, id);
    const { store, notifications, stateMachine, bus } = props;

    this.deadLetters = new Queue(this, 'DeadLetters', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });

    const base = {
      AUDIT_TABLE_NAME: store.auditTable.tableName,
      REQUESTS_TABLE_NAME: store.requestsTable.tableName,
      STATE_MACHINE_ARN: stateMachine.stateMachineArn,
      ALERT_TOPIC_ARN: notifications.alerts.topicArn,
    };
    const make = (key: keyof typeof OPERATIONS_ENTRIES, description: string, extra: { timeout?: Duration; memorySize?: number; environment?: Record<string, string> } = {}) =>
      new NodeFunction(this, key.charAt(0).toUpperCase() + key.slice(1), {
        entry: OPERATIONS_ENTRIES[key],
        catalog: props.catalog,
        logRetention: props.logRetention,
        description,
        ...(extra.timeout ? { timeout: extra.timeout } : {}),
        ...(extra.memorySize ? { memorySize: extra.memorySize } : {}),
        environment: { ...base, ...extra.environment },
      });
    const reviewEnv = {
      EVENT_BUS_NAME: bus.eventBusName,
      ...(props.reviewIgnorePrincipals.length ? { REVIEW_IGNORE_PRINCIPALS: props.reviewIgnorePrincipals.join(',') } : {}),
    };
    const fns = {
      anomaly: make('anomaly', 'Grantline: untracked IAM changes and the in-window watch', { environment: { ANOMALY_MODE: props.anomalyMode } }),
      executionEnded: make('executionEnded', 'Grantline: marks requests whose workflow execution died'),
      review: make('review', 'Grantline: scheduled access review', { timeout: Duration.minutes(15), memorySize: 1024, environment: reviewEnv }),
      monitoringApi: make('monitoringApi', 'Grantline API: anomalies and access reviews', { timeout: Duration.seconds(29), memorySize: 1024, environment: reviewEnv }),
      sweeper: make('sweeper', 'Grantline: finishes what the workflow did not', { timeout: Duration.minutes(4) }),
      offboard: make('offboard', 'Grantline: offboarding events', { timeout: Duration.minutes(15), memorySize: 512 }),
      // API Gateway gives up after 29 s; the invocation goes on and finishes the offboarding.
      lifecycleApi: make('lifecycleApi', 'Grantline API: offboarding and kill switch', { timeout: Duration.minutes(15), memorySize: 512 }),
    };
    this.functions = fns;

    // What each function's code calls (the use cases under functions/monitoring and functions/lifecycle).
    const revokeIam = iamStatements(props.iamScope, 'revoke');
    const revokes = (f: NodeFunction) => revokeIam.forEach((s) => f.fn.addToRolePolicy(s));
    for (const f of Object.values(fns)) {
      store.grantAuditAppend(f.fn); // every one appends records (and reads the log)
      store.grantRequestsReadWrite(f.fn); // and projects them
      notifications.grantPublishAlerts(f.fn);
    }
    for (const f of [fns.executionEnded, fns.sweeper, fns.offboard, fns.lifecycleApi, fns.review, fns.monitoringApi]) revokes(f);
    // Bulk revoke and the sweeper settle the waiting step's token so executions end at once.
    for (const f of [fns.sweeper, fns.offboard, fns.lifecycleApi]) grantTaskResponse(f.fn);
    for (const f of [fns.review, fns.monitoringApi]) {
      // GetAccountAuthorizationDetails has no resource-level permissions.
      f.fn.addToRolePolicy(new PolicyStatement({ actions: ['iam:GetAccountAuthorizationDetails'], resources: ['*'] }));
      // "Unused entitlements" scans the requests created in the last 90 days.
      Grant.addToPrincipal({ grantee: f.fn, actions: ['dynamodb:Scan'], resourceArns: [store.requestsTable.tableArn] });
      bus.grantPutEventsTo(f.fn);
    }
    if (props.anomalyMode === 'revert') {
      // Undoing an untracked change may touch any user, role or group of the account, not only the catalog's.
      const account = (kind: string) => Fn.sub(`arn:\${AWS::Partition}:iam::\${AWS::AccountId}:${kind}/*`);
      fns.anomaly.fn.addToRolePolicy(
        new PolicyStatement({
          actions: ['iam:DetachUserPolicy', 'iam:DeleteUserPolicy', 'iam:UpdateAccessKey', 'iam:DeleteLoginProfile', 'iam:RemoveUserFromGroup'],
          resources: [account('user'), account('group')],
        }),
      );
      fns.anomaly.fn.addToRolePolicy(new PolicyStatement({ actions: ['iam:DetachRolePolicy', 'iam:DeleteRolePolicy'], resources: [account('role')] }));
      fns.anomaly.fn.addToRolePolicy(new PolicyStatement({ actions: ['iam:DetachGroupPolicy', 'iam:DeleteGroupPolicy'], resources: [account('group')] }));
    }

    const target = (f: NodeFunction, retryAttempts = 8): IRuleTarget =>
      new LambdaFunction(f.fn, { deadLetterQueue: this.deadLetters, retryAttempts, maxEventAge: Duration.hours(6) });

    const iamChanges = new Rule(this, 'IamChangesRule', {
      description: 'CloudTrail IAM writes → Grantline anomaly function (IAM events are delivered in us-east-1 only)',
      eventPattern: {
        source: ['aws.iam'],
        detailType: ['AWS API Call via CloudTrail'],
        detail: { eventSource: ['iam.amazonaws.com'], eventName: [...WATCHED_IAM_EVENTS] },
      },
      targets: [target(fns.anomaly)],
    });
    const inWindowWatch = props.inWindowWatch
      ? new Rule(this, 'InWindowWatchRule', {
          description: "Other services' CloudTrail write events → Grantline in-window watch",
          eventPattern: { source: [{ prefix: 'aws.' }] as unknown as string[], detailType: ['AWS API Call via CloudTrail'], detail: { readOnly: [false], eventSource: [{ 'anything-but': 'iam.amazonaws.com' }] } },
          targets: [target(fns.anomaly, 2)],
        })
      : undefined;
    const executionEnded = new Rule(this, 'ExecutionEndedRule', {
      description: 'Access-request executions ending FAILED, TIMED_OUT or ABORTED',
      eventPattern: {
        source: ['aws.states'],
        detailType: [EXECUTION_STATUS_CHANGE],
        detail: { status: [...FAILED_EXECUTION_STATUSES], stateMachineArn: [stateMachine.stateMachineArn] },
      },
      targets: [target(fns.executionEnded)],
    });
    const sweeper = new Rule(this, 'SweeperSchedule', {
      description: 'Grantline sweeper',
      schedule: Schedule.rate(SWEEP_RATE),
      targets: [target(fns.sweeper, 0)], // the next run is 5 minutes away: no retry pile-up
    });
    const review = new Rule(this, 'ReviewSchedule', {
      description: 'Grantline daily access review',
      schedule: Schedule.rate(REVIEW_RATE),
      targets: [target(fns.review, 2)],
    });
    const offboard = new Rule(this, 'OffboardRule', {
      description: `"${OFFBOARD_DETAIL_TYPE}" events (from an HR or IdP system) → offboarding`,
      eventBus: bus,
      eventPattern: { detailType: [OFFBOARD_DETAIL_TYPE] },
      targets: [target(fns.offboard, 4)],
    });
    this.rules = { iamChanges, ...(inWindowWatch ? { inWindowWatch } : {}), executionEnded, sweeper, review, offboard };

    // Roles that change IAM on Grantline's behalf: their changes are explained by grants, not anomalies.
    this.iamWriterRoles = [fns.executionEnded, fns.sweeper, fns.offboard, fns.lifecycleApi, fns.review, fns.monitoringApi, fns.anomaly].map((f) => f.role);
  }

  /** Tells the anomaly and review functions which roles are Grantline's (known once the stack has them all). */
  setGrantlineRoles(roles: readonly IRole[]): void {
    const arns = Fn.join(',', roles.map((r) => r.roleArn));
    for (const f of [this.functions.anomaly, this.functions.review, this.functions.monitoringApi]) f.fn.addEnvironment('GRANTLINE_ROLE_ARNS', arns);
  }
}
