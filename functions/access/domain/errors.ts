/**
 * One base error for the whole domain; subclasses carry the HTTP status the API maps them to and
 * set `name`, which is also the error name Step Functions `Catch` clauses match on.
 */
export class GrantlineError extends Error {
  readonly status: number = 500;
  readonly code: string = 'InternalError';
  readonly field?: string;

  constructor(message: string, options?: { field?: string; cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'GrantlineError';
    if (options?.field !== undefined) this.field = options.field;
  }
}

export class ValidationError extends GrantlineError {
  override readonly status = 400;
  override readonly code = 'ValidationError';
  constructor(message: string, field?: string) {
    super(message, field === undefined ? undefined : { field });
    this.name = 'ValidationError';
  }
}

export class UnauthenticatedError extends GrantlineError {
  override readonly status = 401;
  override readonly code = 'Unauthenticated';
  constructor(message = 'No caller identity on the request') {
    super(message);
    this.name = 'UnauthenticatedError';
  }
}

export class ForbiddenError extends GrantlineError {
  override readonly status = 403;
  override readonly code = 'Forbidden';
  constructor(message: string, field?: string) {
    super(message, field === undefined ? undefined : { field });
    this.name = 'ForbiddenError';
  }
}

export class NotFoundError extends GrantlineError {
  override readonly status = 404;
  override readonly code = 'NotFound';
  constructor(message: string) {
    super(message);
    this.name = 'NotFoundError';
  }
}

/** Wrong state for the operation, or a lost race (the other writer's record won). */
export class ConflictError extends GrantlineError {
  override readonly status = 409;
  override readonly code = 'Conflict';
  constructor(message: string) {
    super(message);
    this.name = 'ConflictError';
  }
}

/** A conditional append lost to a concurrent writer; use cases re-read and decide again. */
export class ConcurrentWriteError extends GrantlineError {
  override readonly status = 409;
  override readonly code = 'Conflict';
  constructor(message = 'A concurrent change won; re-read and try again') {
    super(message);
    this.name = 'ConcurrentWriteError';
  }
}

export class PayloadTooLargeError extends GrantlineError {
  override readonly status = 413;
  override readonly code = 'PayloadTooLarge';
  constructor(message = 'Request body exceeds 64 KiB') {
    super(message);
    this.name = 'PayloadTooLargeError';
  }
}

export class UnsupportedMediaTypeError extends GrantlineError {
  override readonly status = 415;
  override readonly code = 'UnsupportedMediaType';
  constructor(message = 'Request body must be JSON (Content-Type: application/json)') {
    super(message);
    this.name = 'UnsupportedMediaTypeError';
  }
}

/** IAM said "slow down" or failed server-side: the state machine's Retry handles these. */
export class IamTransientError extends GrantlineError {
  override readonly status = 503;
  override readonly code = 'IamTransient';
  constructor(message: string, cause?: unknown) {
    super(message, { cause });
    this.name = 'IamTransientError';
  }
}

/** IAM refused the change for good (malformed policy, missing principal, limits). */
export class IamPermanentError extends GrantlineError {
  override readonly status = 502;
  override readonly code = 'IamPermanent';
  constructor(message: string, cause?: unknown) {
    super(message, { cause });
    this.name = 'IamPermanentError';
  }
}
