import { App } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { WATCHED_IAM_EVENTS } from '../../functions/monitoring/domain/anomaly.js';
import { AUDIT_FEED_ENTRY } from '../../infra/constructs/audit-feed.js';
import { OPERATIONS_ENTRIES } from '../../infra/constructs/operations.js';
import { GrantlineStack } from '../../infra/stacks/grantline-stack.js';
import { MONITORING_FUNCTIONS } from '../../local/monitoring.js';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { asList, bareApp, fixtureCatalog, functionStatements, grantlineStack, policyStatements, type Statement, text } from './helpers.js';

let template: Template;

beforeAll(() => {
  template = Template.fromStack(grantlineStack());
});

const actions = (statements: Statement[]) => statements.flatMap((s) => asList(s.Action));
const rules = () => Object.values(template.findResources('AWS::Events::Rule')).map((r) => r['Properties']);
const ruleTargeting = (fnPrefix: string) => rules().filter((r) => text(r.Targets).includes(`Operations${fnPrefix}Function`));

describe('anomaly rules', () => {
  it('sends exactly the watched CloudTrail IAM writes to the anomaly function', () => {
    const [rule] = ruleTargeting('Anomaly');
    expect(rule.EventPattern).toEqual({
      source: ['aws.iam'],
      'detail-type': ['AWS API Call via CloudTrail'],
      detail: { eventSource: ['iam.amazonaws.com'], eventName: [...WATCHED_IAM_EVENTS] },
    });
    expect(rule.EventBusName).toBeUndefined(); // the default bus, where AWS services deliver
    expect(rule.Targets[0]).toMatchObject({ DeadLetterConfig: { Arn: {} }, RetryPolicy: { MaximumRetryAttempts: 8 } });
  });

  it("matches only this state machine's executions that ended FAILED, TIMED_OUT or ABORTED", () => {
    const [rule] = ruleTargeting('ExecutionEnded');
    expect(rule.EventPattern).toMatchObject({
      source: ['aws.states'],
      'detail-type': ['Step Functions Execution Status Change'],
      detail: { status: ['FAILED', 'TIMED_OUT', 'ABORTED'] },
    });
    expect(text(rule.EventPattern.detail.stateMachineArn)).toMatch(/PipelineAccessRequest/);
  });

  it('gives the anomaly function no IAM write permission in alert mode, and only removing ones in revert mode', () => {
    const alert = actions(functionStatements(template, 'OperationsAnomaly'));
    expect(alert.filter((a) => a.startsWith('iam:'))).toEqual([]);
    const revert = actions(functionStatements(Template.fromStack(grantlineStack(undefined, { anomalyMode: 'revert' })), 'OperationsAnomaly'));
    expect(revert).toEqual(expect.arrayContaining(['iam:DetachUserPolicy', 'iam:DeleteUserPolicy', 'iam:RemoveUserFromGroup', 'iam:UpdateAccessKey']));
    expect(revert.filter((a) => /^iam:(Attach|Put|Add|Create)/.test(a))).toEqual([]);
  });

  it("tells the anomaly function which roles are Grantline's, including the grant step's", () => {
    const fns = template.findResources('AWS::Lambda::Function');
    const anomaly = Object.entries(fns).find(([id]) => id.startsWith('OperationsAnomalyFunction'))![1];
    const roles = text(anomaly['Properties'].Environment.Variables.GRANTLINE_ROLE_ARNS);
    expect(roles).toContain('PipelineGrantRole');
    expect(roles).toContain('OperationsSweeperRole');
    expect(anomaly['Properties'].Environment.Variables.ANOMALY_MODE).toBe('alert');
  });

  it('adds the in-window watch only when asked, for non-IAM write events', () => {
    expect(rules()).toHaveLength(5); // IAM changes, executions, sweeper, review, offboarding
    const watched = Template.fromStack(grantlineStack(undefined, { inWindowWatch: true }));
    const extra = Object.values(watched.findResources('AWS::Events::Rule')).map((r) => r['Properties']).find((r) => r.Description?.includes('in-window'));
    expect(extra.EventPattern).toMatchObject({ 'detail-type': ['AWS API Call via CloudTrail'], detail: { readOnly: [false], eventSource: [{ 'anything-but': 'iam.amazonaws.com' }] } });
  });

  it('warns when deployed outside us-east-1, where IAM events never arrive', () => {
    const stack = new GrantlineStack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'Eu', {
      env: { region: 'eu-west-1', account: '111122223333' },
      config: { logRetention: RetentionDays.ONE_YEAR },
      catalog: fixtureCatalog(),
    });
    Annotations.fromStack(stack).hasWarning('/Eu', Match.stringLikeRegexp('IAM CloudTrail events .* us-east-1 only'));
  });
});

describe('schedules', () => {
  it('runs the sweeper every 5 minutes and the review daily', () => {
    expect(ruleTargeting('Sweeper')[0].ScheduleExpression).toBe('rate(5 minutes)');
    expect(ruleTargeting('Review')[0].ScheduleExpression).toBe('rate(1 day)');
  });
});

describe('offboarding and the grantline bus', () => {
  it('creates the grantline bus and routes "Grantline Offboard Principal" events on it to offboarding', () => {
    template.hasResourceProperties('AWS::Events::EventBus', { Name: 'grantline' });
    const [rule] = ruleTargeting('Offboard');
    expect(rule.EventPattern).toEqual({ 'detail-type': ['Grantline Offboard Principal'] });
    expect(text(rule.EventBusName)).toMatch(/Bus/);
  });

  it('lets the sweeper and bulk revokes remove grants but never add them', () => {
    for (const fn of ['Sweeper', 'Offboard', 'LifecycleApi', 'ExecutionEnded']) {
      const granted = actions(functionStatements(template, `Operations${fn}`));
      expect(granted).toEqual(expect.arrayContaining(['iam:DetachUserPolicy', 'iam:DeleteRolePolicy', 'iam:RemoveUserFromGroup', 'iam:ListRolePolicies']));
      expect(granted.filter((a) => /^iam:(Attach|Put|Add|Create|Update)/.test(a))).toEqual([]);
    }
  });

  it('scopes removing IAM actions to the catalog principals, and detaching to its managed policies', () => {
    const detach = functionStatements(template, 'OperationsSweeper').find((s) => asList(s.Action).includes('iam:DetachUserPolicy'))!;
    expect(asList(detach.Resource as string[]).every((r) => /^arn:aws:iam::\d{12}:user\//.test(r))).toBe(true);
    expect(detach.Condition).toHaveProperty('ArnEquals');
  });
});

describe('access review', () => {
  it('reads IAM in bulk, scans only the requests table and publishes on the grantline bus', () => {
    const review = functionStatements(template, 'OperationsReview');
    expect(actions(review)).toEqual(expect.arrayContaining(['iam:GetAccountAuthorizationDetails', 'dynamodb:Scan', 'events:PutEvents']));
    const scan = review.find((s) => asList(s.Action).includes('dynamodb:Scan'))!;
    expect(text(scan.Resource)).toMatch(/StoreRequests/);
    expect(text(scan.Resource)).not.toMatch(/StoreAudit/);
  });
});

describe('audit feed', () => {
  it('pipes the audit stream (inserts only) through the enrichment onto the bus', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', { StreamSpecification: { StreamViewType: 'NEW_IMAGE' } });
    const [pipe] = Object.values(template.findResources('AWS::Pipes::Pipe')).map((p) => p['Properties']);
    expect(text(pipe.Source)).toMatch(/StoreAudit.*StreamArn/);
    expect(text(pipe.Enrichment)).toMatch(/AuditFeedEnrichment/);
    expect(text(pipe.Target)).toMatch(/Bus/);
    expect(pipe.TargetParameters).toEqual({ EventBridgeEventBusParameters: { Source: 'grantline', DetailType: 'Grantline Audit Record' } });
    expect(pipe.SourceParameters.FilterCriteria).toEqual({ Filters: [{ Pattern: '{"eventName":["INSERT"]}' }] });
    expect(pipe.SourceParameters.DynamoDBStreamParameters).toMatchObject({ StartingPosition: 'TRIM_HORIZON', DeadLetterConfig: { Arn: {} } });
  });

  it("gives the pipe's role stream reads, one function to invoke and the bus, nothing else", () => {
    const pipeRole = policyStatements(template).filter(({ policy }) => policy.startsWith('AuditFeedPipeRoleDefaultPolicy')).map(({ statement }) => statement);
    expect(actions(pipeRole).sort()).toEqual(
      ['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator', 'dynamodb:ListStreams', 'events:PutEvents', 'lambda:InvokeFunction', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:SendMessage'].sort(),
    );
  });
});

describe('the audit log stays append-only', () => {
  it('grants no function UpdateItem, DeleteItem or BatchWriteItem on the audit table', () => {
    for (const { statement } of policyStatements(template)) {
      if (!text(statement.Resource).includes('StoreAudit')) continue;
      expect(asList(statement.Action).filter((a) => /dynamodb:(UpdateItem|DeleteItem|BatchWriteItem|\*)/.test(a))).toEqual([]);
    }
  });
});

describe('one set of handlers for both runtimes', () => {
  it('runs in local mode the same handler entries that the stack deploys', () => {
    const deployed = new Set<string>([...Object.values(OPERATIONS_ENTRIES), AUDIT_FEED_ENTRY]);
    for (const entry of Object.values(MONITORING_FUNCTIONS)) expect(deployed).toContain(entry);
    expect(bareApp()).toBeInstanceOf(App);
  });
});
