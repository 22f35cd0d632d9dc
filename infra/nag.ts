import { Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import { ACCESS_REQUEST_TASKS } from '../statemachines/access-request.js';
import { pathWildcards } from './iam-scope.js';
import type { GrantlineStack } from './stacks/grantline-stack.js';

/**
 * Every cdk-nag (AWS Solutions) finding Grantline accepts, in one place, each on the narrowest
 * construct and with its reason. cdk-nag 3 matches one finding id per acknowledgement.
 * test/infra asserts that nothing else is reported.
 */
export function acknowledgeNagFindings(stack: GrantlineStack): void {
  const ack = (scope: IConstruct, id: string, reason: string) => Validations.of(scope).acknowledge({ id, reason });
  const functions = [stack.apiFunction, ...Object.values(stack.pipeline.tasks), ...Object.values(stack.operations.functions), stack.auditFeed.enrichment];

  for (const fn of functions) {
    ack(
      fn.role,
      'AwsSolutions-IAM5[Resource::*]',
      'Resource "*" only for actions that support no resource-level permissions: X-Ray PutTraceSegments/PutTelemetryRecords (active tracing); for callback steps, the API, the sweeper and bulk revokes, states:SendTaskSuccess/SendTaskFailure, where the task token is the capability; for the access review, iam:GetAccountAuthorizationDetails. test/infra fails on "*" for any other action.',
    );
    ack(
      fn.fn,
      'AwsSolutions-L1',
      'nodejs22.x is pinned on purpose: the code is kept compatible with the Node 20 it is developed and tested on (see OFFLINE-TOOLING.md); moving to nodejs24.x is a planned upgrade together with local and CI runtimes.',
    );
  }

  // Users, roles and groups are named in the policy as `<type>/<name>` and `<type>/*/<name>`: a name is
  // unique in the account whatever its IAM path, so the wildcard matches that one entity only.
  const wildcards = pathWildcards(stack.pipeline.iamScope);
  const ops = stack.operations.functions;
  const iamRoles = [
    ...ACCESS_REQUEST_TASKS.filter((t) => t.needs.includes('iam')).map((t) => stack.pipeline.tasks[t.state]!.role),
    ...[ops.executionEnded, ops.sweeper, ops.offboard, ops.lifecycleApi, ops.review, ops.monitoringApi].map((f) => f.role),
  ];
  for (const role of iamRoles) {
    for (const arn of wildcards) {
      ack(
        role,
        `AwsSolutions-IAM5[Resource::${arn}]`,
        `Path wildcard for the catalog principal or group ${arn.slice(arn.lastIndexOf('/') + 1)}: IAM names are unique per account, so this matches exactly that entity, whatever its path.`,
      );
    }
  }

  for (const kind of ['user', 'role', 'group']) {
    ack(
      ops.anomaly.role,
      `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:iam::<AWS::AccountId>:${kind}/*]`,
      'Only with anomalyMode=revert: undoing an untracked change (detach, delete an inline policy, remove from a group, deactivate a key) may concern any identity of the account, not only the catalog\'s. Only removing actions are granted.',
    );
  }
  for (const queue of [stack.operations.deadLetters, stack.auditFeed.deadLetters]) {
    ack(queue, 'AwsSolutions-SQS3', 'This queue is itself the dead-letter queue of EventBridge rule targets or of the audit-feed pipe.');
  }

  ack(
    stack.pipeline.stateMachine.role,
    'AwsSolutions-IAM5[Resource::*]',
    'Resource "*" only where Step Functions requires it: CloudWatch Logs delivery actions (logs:CreateLogDelivery and friends) and X-Ray tracing support no resource-level permissions.',
  );

  const api = stack.api.api;
  ack(
    api,
    'AwsSolutions-APIG2',
    'The handler validates every path parameter, query and body with zod and answers precise 400s; a second schema in API Gateway would drift from it.',
  );
  ack(
    api,
    'AwsSolutions-APIG3',
    'Every method requires SigV4 (AWS_IAM): unsigned requests are rejected by API Gateway before any code runs, and stage throttling bounds signed traffic. A WAF web ACL adds cost without a threat left for it to stop.',
  );
  ack(
    api,
    'AwsSolutions-APIG6',
    'Access logs record every call (caller, path, status). Execution logging needs the account-wide API Gateway CloudWatch role (AWS::ApiGateway::Account), a per-account singleton this stack must not take over.',
  );
  ack(
    api,
    'AwsSolutions-COG4',
    'Callers authenticate with SigV4 (AWS_IAM) on every method: Grantline grants access to IAM principals, so the IAM principal is the identity. A Cognito user would have to be mapped back to one.',
  );
}
