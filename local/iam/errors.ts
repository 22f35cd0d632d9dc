import { randomUUID } from 'node:crypto';
import {
  DeleteConflictException,
  EntityAlreadyExistsException,
  IAMServiceException,
  InvalidInputException,
  LimitExceededException,
  MalformedPolicyDocumentException,
  NoSuchEntityException,
} from '@aws-sdk/client-iam';

// The simulated account throws the SDK's own exception classes, with the HTTP status IAM uses, so
// callers handle local and real errors the same way (`instanceof`, `name`, `$metadata`).
const metadata = (httpStatusCode: number) => ({ httpStatusCode, requestId: randomUUID() });

export const noSuchEntity = (message: string) =>
  new NoSuchEntityException({ message, $metadata: metadata(404) });

export const entityAlreadyExists = (message: string) =>
  new EntityAlreadyExistsException({ message, $metadata: metadata(409) });

export const deleteConflict = (message: string) =>
  new DeleteConflictException({ message, $metadata: metadata(409) });

export const limitExceeded = (message: string) =>
  new LimitExceededException({ message, $metadata: metadata(409) });

export const malformedPolicyDocument = (message: string) =>
  new MalformedPolicyDocumentException({ message, $metadata: metadata(400) });

export const invalidInput = (message: string) =>
  new InvalidInputException({ message, $metadata: metadata(400) });

/** IAM's unmodelled `ValidationError` (missing member, bad pattern), which the SDK surfaces as the service base exception. */
export const validationError = (message: string) =>
  new IAMServiceException({ name: 'ValidationError', $fault: 'client', message, $metadata: metadata(400) });

/** The shape the SDK gives IAM's `Throttling` error; `$retryable.throttling` makes retry strategies classify it as throttling. */
export const throttlingError = () => {
  const error = new IAMServiceException({
    name: 'Throttling',
    $fault: 'client',
    message: 'Rate exceeded',
    $metadata: metadata(400),
  });
  error.$retryable = { throttling: true };
  return error;
};

/** A command the simulated account does not serve: a gap in local mode, never a condition to handle. */
export class UnsupportedLocalOperationError extends Error {
  override readonly name = 'UnsupportedLocalOperation';

  constructor(readonly commandName: string) {
    super(`${commandName} is not served by the simulated IAM account`);
  }
}
