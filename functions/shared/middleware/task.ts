import middy from '@middy/core';
import type { ZodType } from 'zod';
import { validationFromZod } from './http.js';

/**
 * A Step Functions task: validate the payload, run one use case. Errors are re-thrown with their
 * `name` intact, because the ASL's Retry/Catch match on it.
 */
export function taskHandler<E, R>(schema: ZodType<E>, run: (event: E) => Promise<R>) {
  return middy<unknown, R>().handler(async (raw: unknown) => {
    const parsed = schema.safeParse(raw, { reportInput: true });
    if (!parsed.success) throw validationFromZod(parsed.error, 'payload');
    return run(parsed.data);
  });
}
