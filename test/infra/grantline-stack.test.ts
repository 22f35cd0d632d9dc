import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { IAM_ACTIONS } from '../../infra/iam-scope.js';
import { ACCESS_REQUEST_TASKS } from '../../statemachines/access-request.js';
import { asList, functionStatements, grantlineStack, policyStatements, text } from './helpers.js';

/** Actions that support no resource-level permissions, the only ones allowed on Resource "*". */
const RESOURCELESS = new Set([
  'xray:PutTraceSegments',
  'xray:PutTelemetryRecords',
  'xray:GetSamplingRules',
  'xray:GetSamplingTargets',
  'states:SendTaskSuccess',
  'states:SendTaskFailure',
  'iam:GetAccountAuthorizationDetails',
  'logs:CreateLogDelivery',
  'logs:GetLogDelivery',
  'logs:UpdateLogDelivery',
  'logs:DeleteLogDelivery',
  'logs:ListLogDeliveries',
  'logs:PutResourcePolicy',
  'logs:DescribeResourcePolicies',
  'logs:DescribeLogGroups',
]);

let template: Template;
let auditTableId: string;
let stateMachineId: string;
const functionId = (state: string) => `Pipeline${state}`;

beforeAll(() => {
  template = Template.fromStack(grantlineStack());
  auditTableId = Object.keys(template.findResources('AWS::DynamoDB::Table')).find((id) => id.startsWith('StoreAudit'))!;
  stateMachineId = Object.keys(template.findResources('AWS::StepFunctions::StateMachine'))[0]!;
});

describe('GrantlineStack', () => {
  it('has the state machine, both tables, both topics, one function per task, the API and the operations functions', () => {
    template.resourceCountIs('AWS::StepFunctions::StateMachine', 1);
    template.resourceCountIs('AWS::DynamoDB::Table', 2);
    template.resourceCountIs('AWS::SNS::Topic', 2);
    // + access API, 7 monitoring/lifecycle functions, the audit-feed enrichment
    template.resourceCountIs('AWS::Lambda::Function', ACCESS_REQUEST_TASKS.length + 1 + 7 + 1);
  });

  it('exports the API URL, table names, state machine ARN, topic ARNs and the operations handles', () => {
    expect(Object.keys(template.toJSON()['Outputs']).sort()).toEqual(
      [
        'AlertTopicArn',
        'ApiUrl',
        'ApprovalTopicArn',
        'AuditTableName',
        'RequestsTableName',
        'StateMachineArn',
        'EventBusName',
        'EventBusArn',
        'ReviewFunctionName',
        'SweeperFunctionName',
        'DeadLetterQueueUrl',
      ].sort(),
    );
  });

  it('subscribes the configured emails and encrypts both topics with the AWS-managed key over TLS only', () => {
    template.resourceCountIs('AWS::SNS::Subscription', 2);
    template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'approvers@example.com' });
    template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'oncall@example.com' });
    for (const topic of Object.values(template.findResources('AWS::SNS::Topic'))) {
      expect(text(topic['Properties'].KmsMasterKeyId)).toContain('alias/aws/sns');
    }
    template.resourceCountIs('AWS::SNS::TopicPolicy', 2);
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: { Statement: [{ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }] },
    });
  });

  it('requires AWS_IAM on every API method', () => {
    const methods = Object.values(template.findResources('AWS::ApiGateway::Method'));
    expect(methods.length).toBeGreaterThan(0);
    for (const method of methods) expect(method['Properties'].AuthorizationType).toBe('AWS_IAM');
  });
});

describe('GrantlineStack permissions', () => {
  it('has no statement allowing "*", "iam:*" or any whole service, and no NotAction', () => {
    for (const { policy, statement } of policyStatements(template)) {
      const actions = asList(statement.Action);
      expect(actions, policy).not.toContain('*');
      expect(actions, policy).not.toContain('iam:*');
      for (const action of actions) expect(action, policy).not.toMatch(/^[a-z0-9-]+:\*$/);
      expect(statement, policy).not.toHaveProperty('NotAction');
    }
  });

  it('allows Resource "*" only for actions that support no resource-level permissions', () => {
    for (const { policy, statement } of policyStatements(template)) {
      if (!asList(statement.Resource).includes('*')) continue;
      for (const action of asList(statement.Action)) expect(RESOURCELESS.has(action), `${policy}: ${action} on "*"`).toBe(true);
    }
  });

  it('never lets anything update, delete or batch-write the audit table', () => {
    for (const { policy, statement } of policyStatements(template)) {
      if (!text(statement.Resource).includes(auditTableId)) continue;
      const actions = asList(statement.Action);
      for (const forbidden of ['dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem', 'dynamodb:*']) {
        expect(actions, policy).not.toContain(forbidden);
      }
    }
  });

  it('gives the Grant function exactly the IAM actions of the adapter, each scoped to catalog entities', () => {
    const iam = functionStatements(template, functionId('Grant')).filter((s) => asList(s.Action).some((a) => a.startsWith('iam:')));
    const actions = iam.flatMap((s) => asList(s.Action));
    // The fixture catalog has no user eligible for an inline policy.
    const { inlineUser: _none, ...needed } = IAM_ACTIONS;
    expect([...new Set(actions)].sort()).toEqual(Object.values(needed).flat().sort());
    for (const statement of iam) {
      for (const resource of asList(statement.Resource)) {
        expect(resource).toMatch(/^arn:aws:iam::111122223333:(user|role|group)\/(\*\/)?[\w+=,.@-]+$/);
      }
      if (asList(statement.Action).some((a) => /^iam:(Attach|Detach)/.test(a))) {
        expect(statement.Condition?.['ArnEquals']?.['iam:PolicyARN']).toBeDefined();
      }
    }
  });

  it('gives IAM permissions only to the tasks that need them', () => {
    for (const task of ACCESS_REQUEST_TASKS) {
      const hasIam = functionStatements(template, functionId(task.state)).some((s) => asList(s.Action).some((a) => a.startsWith('iam:')));
      expect(hasIam, task.state).toBe(task.needs.includes('iam'));
    }
    expect(functionStatements(template, 'AccessApi').flatMap((s) => asList(s.Action)).some((a) => a.startsWith('iam:'))).toBe(false);
  });

  it('lets only notifying tasks publish to approvals, and only alerting tasks to alerts', () => {
    const topics = Object.keys(template.findResources('AWS::SNS::Topic'));
    const approvals = topics.find((id) => id.startsWith('NotificationsApprovals'))!;
    const alerts = topics.find((id) => id.startsWith('NotificationsAlerts'))!;
    for (const task of ACCESS_REQUEST_TASKS) {
      const publishes = text(functionStatements(template, functionId(task.state)).filter((s) => asList(s.Action).includes('sns:Publish')));
      expect(publishes.includes(approvals), `${task.state} → approvals`).toBe(task.needs.includes('notify'));
      expect(publishes.includes(alerts), `${task.state} → alerts`).toBe(task.needs.includes('alert'));
    }
  });

  it('lets the API start executions of the state machine and settle task tokens', () => {
    const statements = functionStatements(template, 'AccessApi');
    const start = statements.find((s) => asList(s.Action).includes('states:StartExecution'))!;
    expect(start.Resource).toEqual({ Ref: stateMachineId });
    expect(statements.flatMap((s) => asList(s.Action))).toEqual(expect.arrayContaining(['states:SendTaskSuccess', 'states:SendTaskFailure']));
  });
});

describe('GrantlineStack wiring', () => {
  const environmentOf = (prefix: string): Record<string, unknown> => {
    const [fn] = Object.entries(template.findResources('AWS::Lambda::Function')).filter(([id]) => id.startsWith(`${prefix}Function`));
    return fn![1]['Properties'].Environment.Variables;
  };

  it('gives the API function the state machine ARN and the table names', () => {
    expect(environmentOf('AccessApi')).toMatchObject({
      STATE_MACHINE_ARN: { Ref: stateMachineId },
      AUDIT_TABLE_NAME: { Ref: auditTableId },
      REQUESTS_TABLE_NAME: {},
    });
  });

  it('keeps the state machine out of the task functions, which it depends on', () => {
    for (const task of ACCESS_REQUEST_TASKS) {
      const env = environmentOf(functionId(task.state));
      expect(env, task.state).not.toHaveProperty('STATE_MACHINE_ARN');
      expect(text(functionStatements(template, functionId(task.state))), task.state).not.toContain(stateMachineId);
      expect(Object.keys(env).filter((k) => k.endsWith('_TOPIC_ARN')).sort(), task.state).toEqual(
        [...(task.needs.includes('alert') ? ['ALERT_TOPIC_ARN'] : []), ...(task.needs.includes('notify') ? ['APPROVAL_TOPIC_ARN'] : [])],
      );
    }
  });
});
