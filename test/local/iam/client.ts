import { IAMClient } from '@aws-sdk/client-iam';
import { attachSimulatedIam, type SimulatedIamAccount, type SimulatedIamOptions } from '../../../local/iam/index.js';

/** A real IAMClient answered by the simulated account. */
export function simulatedClient(
  account: SimulatedIamAccount,
  options: SimulatedIamOptions = {},
  config: ConstructorParameters<typeof IAMClient>[0] = {},
): IAMClient {
  const client = new IAMClient({
    region: 'us-east-1',
    credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
    ...config,
  });
  attachSimulatedIam(client, account, options);
  return client;
}

/** The rejection of `promise`, for asserting on an SDK error's shape. */
export async function rejectionOf(promise: Promise<unknown>): Promise<Error & Record<string, unknown>> {
  try {
    await promise;
  } catch (error) {
    return error as Error & Record<string, unknown>;
  }
  throw new Error('expected a rejection');
}

export const READ_ONLY = 'arn:aws:iam::aws:policy/ReadOnlyAccess';
export const ADMIN = 'arn:aws:iam::aws:policy/AdministratorAccess';
