import { readFileSync } from 'node:fs';
import path from 'node:path';
import { RemovalPolicy } from 'aws-cdk-lib';
import { Grant, type IGrantable, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { DefinitionBody, LogLevel, StateMachine, StateMachineType } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { STATEMACHINES_DIR } from '../paths.js';

const PLACEHOLDER = /\$\{([A-Za-z][A-Za-z0-9_]*)\}/g;

/** The path of an ASL file in statemachines/; a bare file name only, so nothing outside it loads. */
export function aslFilePath(file: string): string {
  if (path.basename(file) !== file || !file.endsWith('.asl.json')) {
    throw new Error(`State machine definition must be a *.asl.json file name in statemachines/, got ${JSON.stringify(file)}`);
  }
  return path.join(STATEMACHINES_DIR, file);
}

/** The `${Name}` placeholders of an ASL file, sorted and without duplicates. */
export function aslPlaceholders(file: string): string[] {
  const text = readFileSync(aslFilePath(file), 'utf8');
  return [...new Set([...text.matchAll(PLACEHOLDER)].map((m) => m[1]!))].sort();
}

export interface AslStateMachineProps {
  /** File name in statemachines/, e.g. `access-request.asl.json`. */
  readonly file: string;
  /** Placeholder (without `${}`) → the function whose ARN replaces it; must cover the file exactly. */
  readonly functions: Readonly<Record<string, IFunction>>;
  readonly logRetention: RetentionDays;
}

/**
 * A Standard state machine from an ASL file kept as JSON, so the same definition runs in AWS and in
 * the local runner. The definition is inlined into the template (not an S3 asset) so that
 * `cdk diff` shows every change to the access workflow for review, and tests can read it.
 */
export class AslStateMachine extends Construct {
  readonly stateMachine: StateMachine;
  readonly logGroup: LogGroup;

  constructor(scope: Construct, id: string, props: AslStateMachineProps) {
    super(scope, id);

    const expected = aslPlaceholders(props.file);
    const given = Object.keys(props.functions).sort();
    if (expected.join() !== given.join()) {
      throw new Error(
        `${props.file} has placeholders [${expected.join(', ')}] but functions were given for [${given.join(', ')}]`,
      );
    }
    const definition = readFileSync(aslFilePath(props.file), 'utf8');
    JSON.parse(definition); // a malformed file fails the synth, not the deployment

    this.logGroup = new LogGroup(this, 'Logs', {
      // A generated name: a fixed one would collide with the retained group when the stack is re-created.
      retention: props.logRetention,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.stateMachine = new StateMachine(this, 'StateMachine', {
      stateMachineType: StateMachineType.STANDARD,
      definitionBody: DefinitionBody.fromString(definition),
      definitionSubstitutions: Object.fromEntries(Object.entries(props.functions).map(([key, fn]) => [key, fn.functionArn])),
      tracingEnabled: true,
      // Every state transition is logged, but without inputs and outputs: those carry task tokens,
      // and anyone who can read a token can settle an approval. The audit table is the record.
      logs: { destination: this.logGroup, level: LogLevel.ALL, includeExecutionData: false },
    });

    // The ASL invokes unqualified ARNs, so the unqualified ARNs are all it may invoke
    // (IFunction.grantInvoke would add `<arn>:*` for every version and alias as well).
    this.stateMachine.addToRolePolicy(
      new PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: Object.values(props.functions).map((fn) => fn.functionArn) }),
    );
  }
}

/**
 * Lets a function settle callback tasks (SendTaskSuccess/SendTaskFailure). These actions support no
 * resource-level permissions (see the Step Functions service authorization reference), so the
 * resource is "*": the task token itself is the capability, which is why tokens stay out of logs.
 */
export function grantTaskResponse(grantee: IGrantable): Grant {
  return Grant.addToPrincipal({ grantee, actions: ['states:SendTaskSuccess', 'states:SendTaskFailure'], resourceArns: ['*'] });
}
