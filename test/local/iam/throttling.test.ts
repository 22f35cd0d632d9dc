import { GetUserCommand, IAMServiceException, ListUsersCommand, type IAMClientConfig } from '@aws-sdk/client-iam';
import { beforeEach, describe, expect, it } from 'vitest';
import { SimulatedIamAccount, TokenBucket } from '../../../local/iam/index.js';
import { rejectionOf, simulatedClient } from './client.js';

describe('throttling', () => {
  let now: number;
  let account: SimulatedIamAccount;
  const tenPerSecond = () => ({ tps: 10, now: () => now });

  beforeEach(() => {
    now = 1_000_000;
    account = new SimulatedIamAccount();
    account.createUser('alice');
  });

  it('allows a burst of 10 calls at 10 TPS and throttles the 11th with the SDK Throttling shape', async () => {
    const iam = simulatedClient(account, { throttle: tenPerSecond() }, { maxAttempts: 1 });
    for (let call = 0; call < 10; call++) await iam.send(new GetUserCommand({ UserName: 'alice' }));

    const error = await rejectionOf(iam.send(new ListUsersCommand({})));

    expect(error.name).toBe('Throttling');
    expect(error).toBeInstanceOf(IAMServiceException);
    expect(error.$retryable).toEqual({ throttling: true });
    expect(error.$metadata).toMatchObject({ httpStatusCode: 400, attempts: 1 });
  });

  it('refills one call per 100 ms at 10 TPS', async () => {
    const iam = simulatedClient(account, { throttle: tenPerSecond() }, { maxAttempts: 1 });
    for (let call = 0; call < 10; call++) await iam.send(new GetUserCommand({ UserName: 'alice' }));

    now += 100;
    await iam.send(new GetUserCommand({ UserName: 'alice' }));
    const next = await rejectionOf(iam.send(new GetUserCommand({ UserName: 'alice' })));
    now += 1000;
    const refilled = await Promise.allSettled(Array.from({ length: 11 }, () => iam.send(new GetUserCommand({ UserName: 'alice' }))));

    expect(next.name).toBe('Throttling');
    expect(refilled.filter((result) => result.status === 'fulfilled')).toHaveLength(10);
  });

  it('shares an account-wide limit between clients', async () => {
    const shared = new SimulatedIamAccount({ throttle: tenPerSecond() });
    shared.createUser('alice');
    const first = simulatedClient(shared, {}, { maxAttempts: 1 });
    const second = simulatedClient(shared, {}, { maxAttempts: 1 });

    const results = await Promise.allSettled(
      Array.from({ length: 12 }, (_, call) => (call % 2 ? first : second).send(new GetUserCommand({ UserName: 'alice' }))),
    );

    expect(results.filter((result) => result.status === 'rejected')).toHaveLength(2);
  });

  it('lets a bucket be shared explicitly between clients of different accounts', async () => {
    const bucket = new TokenBucket(1, 1, () => now);
    const other = new SimulatedIamAccount({ accountId: '111122223333' });
    other.createUser('alice');

    await simulatedClient(account, { throttle: bucket }, { maxAttempts: 1 }).send(new GetUserCommand({ UserName: 'alice' }));
    const error = await rejectionOf(
      simulatedClient(other, { throttle: bucket }, { maxAttempts: 1 }).send(new GetUserCommand({ UserName: 'alice' })),
    );

    expect(error.name).toBe('Throttling');
  });

  it("hands throttling to the client's retry strategy, which can wait and succeed as against AWS", async () => {
    const errorTypes: string[] = [];
    const token = (count: number) => ({ getRetryCount: () => count, getRetryDelay: () => 0 });
    const retryStrategy: IAMClientConfig['retryStrategy'] = {
      async acquireInitialRetryToken() {
        return token(0);
      },
      async refreshRetryTokenForRetry(current, info) {
        errorTypes.push(info.errorType);
        now += 100; // the backoff, on the fake clock
        return token(current.getRetryCount() + 1);
      },
      recordSuccess() {},
    };
    const iam = simulatedClient(account, { throttle: tenPerSecond() }, { retryStrategy });
    for (let call = 0; call < 10; call++) await iam.send(new GetUserCommand({ UserName: 'alice' }));
    account.resetCalls();

    const { User, $metadata } = await iam.send(new GetUserCommand({ UserName: 'alice' }));

    expect(User?.UserName).toBe('alice');
    expect(errorTypes).toEqual(['THROTTLING']);
    expect($metadata.attempts).toBe(2);
    expect(account.calls.get('GetUserCommand')).toBe(2);
  });

  it('gives up after the default strategy runs out of attempts', async () => {
    const iam = simulatedClient(account, { throttle: tenPerSecond() }, { maxAttempts: 2 });
    for (let call = 0; call < 10; call++) await iam.send(new GetUserCommand({ UserName: 'alice' }));

    const error = await rejectionOf(iam.send(new GetUserCommand({ UserName: 'alice' })));

    expect(error.name).toBe('Throttling');
    expect(error.$metadata).toMatchObject({ attempts: 2 });
  });

  it('throws at once, without SDK retries, when placed at initialize', async () => {
    const iam = simulatedClient(account, { throttle: tenPerSecond(), placement: 'initialize' }, { maxAttempts: 3 });
    for (let call = 0; call < 10; call++) await iam.send(new GetUserCommand({ UserName: 'alice' }));
    account.resetCalls();

    const error = await rejectionOf(iam.send(new GetUserCommand({ UserName: 'alice' })));

    expect(error.name).toBe('Throttling');
    expect(account.calls.get('GetUserCommand')).toBe(1);
  });
});
