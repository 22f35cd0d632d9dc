import { z } from 'zod';

export const EXECUTION_STATUS_CHANGE = 'Step Functions Execution Status Change';

/** Endings that leave a request without an execution to finish it. */
export const FAILED_EXECUTION_STATUSES = ['FAILED', 'TIMED_OUT', 'ABORTED'] as const;
export type FailedExecutionStatus = (typeof FAILED_EXECUTION_STATUSES)[number];

/** EventBridge's execution status event. `input` is the execution input as JSON text (null when too large). */
export const ExecutionStatusChangeEvent = z.looseObject({
  'detail-type': z.literal(EXECUTION_STATUS_CHANGE),
  source: z.literal('aws.states'),
  id: z.string().optional(),
  time: z.string().optional(),
  detail: z.looseObject({
    executionArn: z.string().min(1),
    stateMachineArn: z.string().min(1),
    name: z.string().min(1),
    status: z.string().min(1),
    input: z.string().nullish(),
    error: z.string().nullish(),
    cause: z.string().nullish(),
  }),
});
export type ExecutionStatusChangeEvent = z.infer<typeof ExecutionStatusChangeEvent>;

/** The part of the workflow input this function needs (see WorkflowInput in the access ports). */
export const ExecutionInput = z.looseObject({ requestId: z.string().min(1).max(128) });
