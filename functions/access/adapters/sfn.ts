import { SendTaskFailureCommand, SendTaskSuccessCommand, type SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import type { Workflow, WorkflowInput } from '../domain/ports.js';

/** Settling a token twice is normal here (both the decision and the waiting step may try). */
const ALREADY_SETTLED = new Set(['TaskDoesNotExist', 'InvalidToken', 'TaskTimedOut']);

export class SfnWorkflow implements Workflow {
  constructor(
    private readonly sfn: SFNClient,
    private readonly stateMachineArn: string,
  ) {}

  async start(input: WorkflowInput): Promise<void> {
    try {
      // The request id is the execution name: a retried start can never create a second execution.
      await this.sfn.send(new StartExecutionCommand({ stateMachineArn: this.stateMachineArn, name: input.requestId, input: JSON.stringify(input) }));
    } catch (err) {
      if ((err as Error)?.name === 'ExecutionAlreadyExists') return;
      throw err;
    }
  }

  async succeed(token: string, output: Record<string, unknown>): Promise<void> {
    await this.ignoreSettled(() => this.sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: JSON.stringify(output) })));
  }

  async fail(token: string, error: string, cause: string): Promise<void> {
    await this.ignoreSettled(() => this.sfn.send(new SendTaskFailureCommand({ taskToken: token, error, cause: cause.slice(0, 32_000) })));
  }

  private async ignoreSettled(call: () => Promise<unknown>): Promise<void> {
    try {
      await call();
    } catch (err) {
      if (ALREADY_SETTLED.has((err as Error)?.name)) return;
      throw err;
    }
  }
}
