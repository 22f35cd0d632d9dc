import { Template } from 'aws-cdk-lib/assertions';
import { Code, Function as LambdaFunction, type IFunction, Runtime } from 'aws-cdk-lib/aws-lambda';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Stack } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { AslStateMachine, aslFilePath, aslPlaceholders } from '../../infra/constructs/asl-state-machine.js';
import { ACCESS_REQUEST_ASL, ACCESS_REQUEST_TASKS } from '../../statemachines/access-request.js';
import { asList, bareStack, policyStatements, text } from './helpers.js';

function stubFunctions(stack: Stack, placeholders: readonly string[]): Record<string, IFunction> {
  return Object.fromEntries(
    placeholders.map((p) => [p, new LambdaFunction(stack, p, { runtime: Runtime.NODEJS_22_X, handler: 'index.handler', code: Code.fromInline('exports.handler = async () => ({})') })]),
  );
}

function accessRequestMachine() {
  const stack = bareStack();
  const functions = stubFunctions(stack, aslPlaceholders(ACCESS_REQUEST_ASL));
  new AslStateMachine(stack, 'Machine', { file: ACCESS_REQUEST_ASL, functions, logRetention: RetentionDays.ONE_WEEK });
  const template = Template.fromStack(stack);
  const [machine] = Object.values(template.findResources('AWS::StepFunctions::StateMachine'));
  const definition = JSON.parse(machine!['Properties'].DefinitionString as string) as { States: Record<string, Record<string, unknown>> };
  return { template, machine: machine!, definition, functions };
}

describe('aslPlaceholders', () => {
  it('lists exactly the placeholders the access-request tasks bind', () => {
    expect(aslPlaceholders(ACCESS_REQUEST_ASL)).toEqual(ACCESS_REQUEST_TASKS.map((t) => t.placeholder).sort());
  });

  it('refuses a path that leaves statemachines/', () => {
    expect(() => aslFilePath('../package.json')).toThrow(/file name in statemachines/);
    expect(() => aslFilePath('/etc/passwd.asl.json')).toThrow(/file name in statemachines/);
  });
});

describe('AslStateMachine', () => {
  it('substitutes exactly the placeholders of the file', () => {
    const { machine } = accessRequestMachine();
    expect(Object.keys(machine['Properties'].DefinitionSubstitutions).sort()).toEqual(aslPlaceholders(ACCESS_REQUEST_ASL));
  });

  it('refuses functions that do not match the placeholders', () => {
    const stack = bareStack();
    const functions = stubFunctions(stack, aslPlaceholders(ACCESS_REQUEST_ASL).slice(1));
    expect(() => new AslStateMachine(stack, 'Machine', { file: ACCESS_REQUEST_ASL, functions, logRetention: RetentionDays.ONE_WEEK })).toThrow(
      /has placeholders/,
    );
  });

  it('deploys the definition inline, with the retries and catches of Grant and Revoke', () => {
    const { definition } = accessRequestMachine();
    const grant = definition.States['Grant']!;
    const revoke = definition.States['Revoke']!;
    expect(asList(grant['Retry'] as object[]).length).toBeGreaterThan(0);
    expect(asList(revoke['Retry'] as object[]).length).toBeGreaterThan(0);
    expect(grant['Catch']).toContainEqual(expect.objectContaining({ ErrorEquals: ['States.ALL'], Next: 'RecordGrantFailure' }));
    expect(revoke['Catch']).toContainEqual(expect.objectContaining({ ErrorEquals: ['States.ALL'], Next: 'RecordRevokeFailure' }));
  });

  it('waits for approval and for expiry with callback tasks', () => {
    const { definition } = accessRequestMachine();
    for (const state of ['AwaitApproval', 'AwaitExpiryOrRevoke']) {
      expect(definition.States[state]!['Resource']).toBe('arn:aws:states:::lambda:invoke.waitForTaskToken');
    }
  });

  it('logs every transition without execution data, and traces', () => {
    const { template } = accessRequestMachine();
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      StateMachineType: 'STANDARD',
      LoggingConfiguration: { Level: 'ALL', IncludeExecutionData: false },
      TracingConfiguration: { Enabled: true },
    });
  });

  it('may invoke the substituted functions by unqualified ARN only', () => {
    const { template } = accessRequestMachine();
    const invokes = policyStatements(template).filter(({ statement }) => asList(statement.Action).includes('lambda:InvokeFunction'));
    expect(invokes).toHaveLength(1);
    const resources = asList(invokes[0]!.statement.Resource);
    expect(resources).toHaveLength(aslPlaceholders(ACCESS_REQUEST_ASL).length);
    expect(text(resources)).not.toContain(':*');
  });
});
