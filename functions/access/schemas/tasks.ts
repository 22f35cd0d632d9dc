import { z } from 'zod';

/** Payloads the state machine sends to each Task; a wrong shape is a bug in the ASL, so fail loudly. */
export const RequestTaskEvent = z.object({ requestId: z.string().min(1) }).passthrough();
export type RequestTaskEvent = z.infer<typeof RequestTaskEvent>;

export const CallbackTaskEvent = z.object({
  requestId: z.string().min(1),
  taskToken: z.string().min(1),
  remainingSeconds: z.number().optional(),
});
export type CallbackTaskEvent = z.infer<typeof CallbackTaskEvent>;

/** What a Catch with ResultPath "$.error" hands to the failure recorders. */
export const FailureTaskEvent = z.object({
  requestId: z.string().min(1),
  error: z.object({ Error: z.string().default('Unknown'), Cause: z.string().default('') }).passthrough().default({ Error: 'Unknown', Cause: '' }),
});
export type FailureTaskEvent = z.infer<typeof FailureTaskEvent>;
