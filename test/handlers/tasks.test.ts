import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { handler as awaitApprovalHandler } from '../../functions/access/handlers/await-approval.task.js';
import { handler as grantHandler } from '../../functions/access/handlers/grant.task.js';
import { handler as recordGrantFailureHandler } from '../../functions/access/handlers/record-grant-failure.task.js';
import { handler as revokeHandler } from '../../functions/access/handlers/revoke.task.js';
import { IamTransientError, ValidationError } from '../../functions/access/domain/errors.js';
import { setCatalog } from '../../functions/shared/catalog.js';
import { overrideDeps } from '../../functions/shared/deps.js';
import { POLICIES, catalogSnapshot } from '../helpers/catalog.js';
import { fixture, lambdaContext } from '../helpers/events.js';
import { testDeps, type TestDeps } from '../helpers/memory.js';
import { AUTO_APPROVED, activeRequest, approvedRequest, submit } from '../helpers/requests.js';

let deps: TestDeps;
const context = lambdaContext('grantline-task');

beforeAll(() => {
  vi.stubEnv('AUDIT_TABLE_NAME', 'audit');
  vi.stubEnv('REQUESTS_TABLE_NAME', 'requests');
});

beforeEach(() => {
  deps = testDeps();
  setCatalog(catalogSnapshot());
  overrideDeps(deps);
});

afterEach(() => {
  overrideDeps(undefined);
  setCatalog(undefined);
});

afterAll(() => {
  vi.unstubAllEnvs();
});

describe('grant task', () => {
  it('grants an approved request and reports the time left', async () => {
    // Prepare
    const request = await submit(deps, 'alice', AUTO_APPROVED);

    // Act
    const result = await grantHandler(fixture('grant-task.json'), context);

    // Assess
    expect(result).toEqual({ requestId: request.id, outcome: 'ACTIVE', status: 'ACTIVE', remainingSeconds: 1800 });
    expect(deps.iam.has(`user/alice|policy|${POLICIES.readOnly}`)).toBe(true);
  });

  it('refuses a payload without requestId with a ValidationError naming it', async () => {
    const attempt = grantHandler({ request: 'req-0001' }, context);

    await expect(attempt).rejects.toBeInstanceOf(ValidationError);
    await expect(attempt).rejects.toMatchObject({ name: 'ValidationError', field: 'requestId', message: 'requestId is required' });
  });

  it('rethrows IAM errors by name for the state machine’s Retry', async () => {
    await submit(deps, 'alice', AUTO_APPROVED);
    deps.iam.failNext('apply', new IamTransientError('Throttling'));

    await expect(grantHandler(fixture('grant-task.json'), context)).rejects.toMatchObject({ name: 'IamTransientError' });
  });

  it('answers NotFoundError for a request the log does not know', async () => {
    await expect(grantHandler(fixture('grant-task.json'), context)).rejects.toMatchObject({ name: 'NotFoundError' });
  });
});

describe('revoke task', () => {
  it('revokes an expired grant', async () => {
    // Prepare
    const request = await activeRequest(deps);
    deps.time.advance(request.durationSeconds);

    // Act
    const result = await revokeHandler(fixture('revoke-task.json'), context);

    // Assess
    expect(result).toEqual({ requestId: request.id, status: 'EXPIRED' });
    expect(deps.iam.objects.size).toBe(0);
  });

  it('refuses an empty requestId', async () => {
    await expect(revokeHandler({ requestId: '' }, context)).rejects.toMatchObject({ name: 'ValidationError', field: 'requestId' });
  });

  it('refuses a payload that is not an object', async () => {
    await expect(revokeHandler('req-0001', context)).rejects.toMatchObject({ name: 'ValidationError', field: 'payload' });
  });
});

describe('await-approval task', () => {
  it('stores the token of a pending request', async () => {
    await submit(deps, 'alice');

    const result = await awaitApprovalHandler(fixture('await-approval-task.json'), context);

    expect(result).toEqual({ armed: true });
    expect(deps.requests.stored('req-0001')?.tokens.approval).toBe('AQCEAAAAKgAAAAMAAAAAAAAAAexampletoken');
  });

  it('refuses a payload without a task token', async () => {
    await expect(awaitApprovalHandler({ requestId: 'req-0001' }, context)).rejects.toMatchObject({ name: 'ValidationError', field: 'taskToken' });
  });

  it('settles the token itself when the approval came first', async () => {
    await approvedRequest(deps);

    const result = await awaitApprovalHandler(fixture('await-approval-task.json'), context);

    expect(result).toEqual({ armed: false });
    expect(deps.workflow.succeeded).toEqual([{ token: 'AQCEAAAAKgAAAAMAAAAAAAAAAexampletoken', output: { decision: 'APPROVED' } }]);
  });
});

describe('record-grant-failure task', () => {
  it('records GRANT_FAILED from the Catch payload', async () => {
    await submit(deps, 'alice', AUTO_APPROVED);

    const result = await recordGrantFailureHandler(fixture('record-grant-failure-task.json'), context);

    expect(result).toEqual({ requestId: 'req-0001', status: 'GRANT_FAILED' });
    expect(deps.audit.records('req-0001').at(-1)).toMatchObject({ action: 'GRANT_FAILED', reason: 'IamPermanentError' });
  });

  it('defaults a missing error to Unknown', async () => {
    await submit(deps, 'alice', AUTO_APPROVED);

    await recordGrantFailureHandler({ requestId: 'req-0001' }, context);

    expect(deps.audit.records('req-0001').at(-1)?.reason).toBe('Unknown');
  });
});
