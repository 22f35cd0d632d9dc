import { randomUUID } from 'node:crypto';
import type {
  DescribeExecutionInput,
  ListExecutionsInput,
  SendTaskFailureInput,
  SendTaskHeartbeatInput,
  SendTaskSuccessInput,
  ServiceInputTypes,
  ServiceOutputTypes,
  SFNClient,
  StartExecutionInput,
  StopExecutionInput,
} from '@aws-sdk/client-sfn';
import { UnsupportedCommandError } from './errors.js';
import type { LocalStepFunctions } from './runner.js';

type Serve = (runtime: LocalStepFunctions, input: ServiceInputTypes) => Promise<object>;

const SERVED: Readonly<Record<string, Serve>> = {
  StartExecutionCommand: (runtime, input) => runtime.startExecution(input as StartExecutionInput),
  SendTaskSuccessCommand: (runtime, input) => runtime.sendTaskSuccess(input as SendTaskSuccessInput),
  SendTaskFailureCommand: (runtime, input) => runtime.sendTaskFailure(input as SendTaskFailureInput),
  SendTaskHeartbeatCommand: (runtime, input) => runtime.sendTaskHeartbeat(input as SendTaskHeartbeatInput),
  StopExecutionCommand: (runtime, input) => runtime.stopExecution(input as StopExecutionInput),
  DescribeExecutionCommand: (runtime, input) => runtime.describeExecution(input as DescribeExecutionInput),
  ListExecutionsCommand: (runtime, input) => runtime.listExecutions(input as ListExecutionsInput),
};

/**
 * Makes a real SFNClient answer from the local runtime: the middleware sits at the `initialize`
 * step, before serialization, signing and endpoint resolution, so no credentials or network are
 * needed, and the code under test keeps using `client.send(new XCommand(...))`. Errors are the
 * SDK's exception classes; a command the runtime does not serve throws UnsupportedCommandError
 * rather than reaching AWS.
 */
export function attachLocalStepFunctions(client: SFNClient, runtime: LocalStepFunctions): void {
  client.middlewareStack.add(
    (_next, context) => async (args) => {
      const commandName = context.commandName ?? 'UnknownCommand';
      const serve = SERVED[commandName];
      if (!serve) throw new UnsupportedCommandError(commandName);
      const output = await serve(runtime, args.input);
      const $metadata = { httpStatusCode: 200, requestId: randomUUID(), attempts: 1, totalRetryDelay: 0 };
      return { output: { ...output, $metadata } as ServiceOutputTypes, response: undefined };
    },
    { step: 'initialize', name: 'grantlineLocalStepFunctions', priority: 'high', override: true },
  );
}
