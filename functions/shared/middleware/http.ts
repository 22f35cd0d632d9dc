import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { ZodError, type ZodType } from 'zod';
import {
  GrantlineError,
  PayloadTooLargeError,
  UnsupportedMediaTypeError,
  ValidationError,
} from '../../access/domain/errors.js';

export const MAX_BODY_BYTES = 64 * 1024;

export interface HttpResult {
  readonly statusCode: number;
  readonly body: unknown;
}

export function json(statusCode: number, body: unknown): APIGatewayProxyResult {
  return {
    statusCode,
    headers: { 'content-type': 'application/json', 'cache-control': 'no-store' },
    body: JSON.stringify(body),
  };
}

function header(event: APIGatewayProxyEvent, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [k, v] of Object.entries(event.headers ?? {})) if (k.toLowerCase() === wanted && v != null) return v;
  return undefined;
}

/**
 * The body as JSON: 413 over 64 KiB, 415 when it is not declared JSON, 400 when it does not parse.
 * An absent body is `{}` so optional-field bodies (approve, cancel) may be empty.
 */
export function jsonBody(event: APIGatewayProxyEvent): unknown {
  const raw = event.body == null ? '' : event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
  if (Buffer.byteLength(raw, 'utf8') > MAX_BODY_BYTES) throw new PayloadTooLargeError();
  if (raw.trim() === '') return {};
  const type = header(event, 'content-type');
  if (!type || !/^application\/([\w.+-]+\+)?json\b/i.test(type)) throw new UnsupportedMediaTypeError();
  try {
    return JSON.parse(raw);
  } catch {
    throw new ValidationError('Request body is not valid JSON', 'body');
  }
}

/** zod at the edge: the first problem becomes a 400 naming its field. */
export function parseWith<T>(schema: ZodType<T>, value: unknown, where: 'body' | 'query' | 'path'): T {
  // zod 4 leaves `input` off issues unless asked; validationFromZod needs it to tell missing from wrong.
  const result = schema.safeParse(value ?? {}, { reportInput: true });
  if (result.success) return result.data;
  throw validationFromZod(result.error, where);
}

export function validationFromZod(error: ZodError, where: string): ValidationError {
  const issue = error.issues[0]!;
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0]!;
    const field = [...issue.path, key].join('.');
    return new ValidationError(`Unknown ${where} field ${JSON.stringify(field)}`, field);
  }
  const field = issue.path.length > 0 ? issue.path.join('.') : where;
  if (issue.code === 'invalid_type' && issue.input === undefined) return new ValidationError(`${field} is required`, field);
  if (issue.path.length === 0 && issue.code === 'invalid_type') return new ValidationError(`The ${where} must be a JSON object`, where);
  return new ValidationError(`${field}: ${issue.message}`, field);
}

interface ErrorLogger {
  error(message: string, ...extra: unknown[]): void;
}

/**
 * Errors below 500 are shown as `{error: {code, message, field?}}`; anything else becomes a
 * generic 500 so no stack trace or internal detail leaks.
 */
export function httpErrors(log?: ErrorLogger): MiddlewareObj<APIGatewayProxyEvent, APIGatewayProxyResult> {
  return {
    onError: async (request) => {
      const err = request.error;
      if (err instanceof GrantlineError && err.status < 500) {
        request.response = json(err.status, { error: { code: err.code, message: err.message, ...(err.field ? { field: err.field } : {}) } });
        return;
      }
      if (err instanceof ZodError) {
        const v = validationFromZod(err, 'body');
        request.response = json(400, { error: { code: v.code, message: v.message, field: v.field } });
        return;
      }
      log?.error('unhandled error', { error: err instanceof Error ? { name: err.name, message: err.message, stack: err.stack } : String(err) });
      const status = err instanceof GrantlineError && err.status === 503 ? 503 : 500;
      request.response = json(status, { error: { code: status === 503 ? 'ServiceUnavailable' : 'InternalError', message: 'Something went wrong on our side; it has been logged' } });
    },
  };
}
