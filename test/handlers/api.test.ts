import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { handler } from '../../functions/access/handlers/api.js';
import { awaitApproval, grantAccess } from '../../functions/access/use-cases/workflow-steps.js';
import { setCatalog } from '../../functions/shared/catalog.js';
import { overrideDeps } from '../../functions/shared/deps.js';
import { logger } from '../../functions/shared/logger.js';
import { ARNS, CATALOG_VERSION, catalogSnapshot } from '../helpers/catalog.js';
import { apiEvent, lambdaContext, parseResponse, type ApiEventOptions } from '../helpers/events.js';
import { testDeps, type TestDeps } from '../helpers/memory.js';
import { AUTO_APPROVED, NEEDS_APPROVAL, submit } from '../helpers/requests.js';

interface ErrorBody {
  error: { code: string; message: string; field?: string };
}

let deps: TestDeps;

async function call<T = Record<string, unknown>>(options: ApiEventOptions) {
  return parseResponse<T>(await handler(apiEvent(options), lambdaContext('grantline-api')));
}

const post = <T = Record<string, unknown>>(route: string, body: unknown, callerArn: string | null = ARNS.alice, id?: string) =>
  call<T>({ route, body, callerArn, ...(id ? { pathParameters: { id } } : {}) });

beforeAll(() => {
  vi.stubEnv('AUDIT_TABLE_NAME', 'audit');
  vi.stubEnv('REQUESTS_TABLE_NAME', 'requests');
  vi.stubEnv('STATE_MACHINE_ARN', 'arn:aws:states:eu-central-1:000000000000:stateMachine:grantline');
  logger.setLogLevel('SILENT');
});

beforeEach(() => {
  deps = testDeps();
  setCatalog(catalogSnapshot());
  overrideDeps(deps);
});

afterEach(() => {
  overrideDeps(undefined);
  setCatalog(undefined);
  vi.restoreAllMocks();
});

afterAll(() => {
  vi.unstubAllEnvs();
});

describe('GET /health', () => {
  it('answers without an identity', async () => {
    const res = await call({ route: 'GET /health', callerArn: null });

    expect(res.statusCode).toBe(200);
    expect(res.body).toEqual({ status: 'ok', catalogVersion: CATALOG_VERSION });
  });
});

describe('GET /entitlements', () => {
  it('lists what the caller may request', async () => {
    const res = await call<{ items: { id: string }[] }>({ route: 'GET /entitlements' });

    expect(res.statusCode).toBe(200);
    expect(res.body.items.map((i) => i.id)).toContain('prod-read');
  });

  it('refuses an unknown query parameter, naming it', async () => {
    const res = await call<ErrorBody>({ route: 'GET /entitlements', query: { verbose: 'true' } });

    expect(res.statusCode).toBe(400);
    expect(res.body.error).toMatchObject({ code: 'ValidationError', field: 'verbose' });
  });
});

describe('POST /requests', () => {
  it('creates a pending request and answers 201', async () => {
    // Act
    const res = await post('POST /requests', NEEDS_APPROVAL);

    // Assess
    expect(res.statusCode).toBe(201);
    expect(res.headers).toMatchObject({ 'content-type': 'application/json', 'cache-control': 'no-store' });
    expect(res.body).toMatchObject({ request: { id: 'req-0001', status: 'PENDING_APPROVAL', requester: ARNS.alice } });
    expect(deps.workflow.starts).toHaveLength(1);
  });

  it('creates an auto-approved request', async () => {
    const res = await post('POST /requests', AUTO_APPROVED);

    expect(res.statusCode).toBe(201);
    expect(res.body).toMatchObject({ request: { status: 'APPROVED', autoApproved: true } });
  });

  it('accepts a base64-encoded body', async () => {
    const event = apiEvent({ route: 'POST /requests', body: NEEDS_APPROVAL });
    event.body = Buffer.from(event.body!).toString('base64');
    event.isBase64Encoded = true;

    const res = parseResponse(await handler(event, lambdaContext()));

    expect(res.statusCode).toBe(201);
  });

  it('answers 401 without an identity', async () => {
    const res = await post('POST /requests', NEEDS_APPROVAL, null);

    expect(res.statusCode).toBe(401);
    expect(res.body).toEqual({ error: { code: 'Unauthenticated', message: 'No caller identity on the request' } });
  });

  it('answers 401 for an identity that is not an IAM user or role session', async () => {
    const res = await post('POST /requests', NEEDS_APPROVAL, 'arn:aws:iam::000000000000:root');

    expect(res.statusCode).toBe(401);
  });

  it('refuses an unknown body field, naming it', async () => {
    const res = await post<ErrorBody>('POST /requests', { ...NEEDS_APPROVAL, entitlment: 'typo' });

    expect(res.statusCode).toBe(400);
    expect(res.body.error).toMatchObject({ code: 'ValidationError', field: 'entitlment' });
  });

  it('refuses a missing field, naming it', async () => {
    const res = await post<ErrorBody>('POST /requests', { entitlement: 'prod-read', duration: 'PT1H' });

    expect(res.statusCode).toBe(400);
    expect(res.body.error).toEqual({ code: 'ValidationError', message: 'justification is required', field: 'justification' });
  });

  it('refuses a field of the wrong type without calling it missing', async () => {
    const res = await post<ErrorBody>('POST /requests', { ...NEEDS_APPROVAL, entitlement: 42 });

    expect(res.statusCode).toBe(400);
    expect(res.body.error.field).toBe('entitlement');
    expect(res.body.error.message).not.toMatch(/required/);
  });

  it('refuses a body that is not a JSON object', async () => {
    const res = await post<ErrorBody>('POST /requests', '[1,2,3]');

    expect(res.statusCode).toBe(400);
    expect(res.body.error).toMatchObject({ field: 'body', message: 'The body must be a JSON object' });
  });

  it('refuses a malformed duration, naming duration', async () => {
    const res = await post<ErrorBody>('POST /requests', { ...NEEDS_APPROVAL, duration: 'two hours' });

    expect(res.statusCode).toBe(400);
    expect(res.body.error.field).toBe('duration');
  });

  it('refuses a duration over the entitlement maximum, naming duration', async () => {
    const res = await post<ErrorBody>('POST /requests', { ...NEEDS_APPROVAL, duration: 'PT5H' });

    expect(res.statusCode).toBe(400);
    expect(res.body.error.field).toBe('duration');
  });

  it('refuses a ticket that does not match the pattern, naming ticket', async () => {
    const res = await post<ErrorBody>('POST /requests', { entitlement: 'prod-admin', duration: '1h', justification: 'hotfix', ticket: 'JIRA-9' });

    expect(res.statusCode).toBe(400);
    expect(res.body.error.field).toBe('ticket');
  });

  it('answers 403 to a caller who is not eligible', async () => {
    const res = await post<ErrorBody>('POST /requests', NEEDS_APPROVAL, ARNS.dave);

    expect(res.statusCode).toBe(403);
    expect(res.body.error.code).toBe('Forbidden');
    expect(deps.workflow.starts).toEqual([]);
  });

  it('answers 413 to a body over 64 KiB', async () => {
    const res = await post<ErrorBody>('POST /requests', { ...NEEDS_APPROVAL, justification: 'x'.repeat(65 * 1024) });

    expect(res.statusCode).toBe(413);
    expect(res.body.error.code).toBe('PayloadTooLarge');
  });

  it('answers 415 to a body that is not declared JSON', async () => {
    const res = await call<ErrorBody>({ route: 'POST /requests', body: JSON.stringify(NEEDS_APPROVAL), headers: { 'Content-Type': 'text/plain' } });

    expect(res.statusCode).toBe(415);
    expect(res.body.error.code).toBe('UnsupportedMediaType');
  });

  it('answers 400 to a body that is not valid JSON', async () => {
    const res = await post<ErrorBody>('POST /requests', '{"entitlement": "prod-read",');

    expect(res.statusCode).toBe(400);
    expect(res.body.error).toMatchObject({ code: 'ValidationError', field: 'body' });
  });

  it('hides internals behind a generic 500', async () => {
    // Prepare
    deps.audit.failNextAppend = new Error('connect ECONNREFUSED 10.1.2.3:443 while writing audit-table-prod');
    const logged = vi.spyOn(logger, 'error');

    // Act
    const res = await post<ErrorBody>('POST /requests', NEEDS_APPROVAL);

    // Assess
    expect(res.statusCode).toBe(500);
    expect(res.body).toEqual({ error: { code: 'InternalError', message: 'Something went wrong on our side; it has been logged' } });
    expect(res.raw).not.toMatch(/ECONNREFUSED|audit-table|stack|at .*\.ts/);
    expect(logged).toHaveBeenCalledOnce();
  });
});

describe('GET /requests', () => {
  it('lists the caller’s own requests', async () => {
    await submit(deps, 'alice');
    await submit(deps, 'carol');

    const res = await call<{ items: { requester: string }[] }>({ route: 'GET /requests' });

    expect(res.statusCode).toBe(200);
    expect(res.body.items.map((i) => i.requester)).toEqual([ARNS.alice]);
  });

  it('lists what waits for the approver', async () => {
    const request = await submit(deps, 'alice');

    const res = await call<{ items: { id: string }[] }>({ route: 'GET /requests', query: { pendingMyApproval: 'true' }, callerArn: ARNS.bob });

    expect(res.body.items.map((i) => i.id)).toEqual([request.id]);
  });

  it('filters by status', async () => {
    await submit(deps, 'alice');

    const res = await call<{ items: unknown[] }>({ route: 'GET /requests', query: { status: 'ACTIVE' } });

    expect(res.statusCode).toBe(200);
    expect(res.body.items).toEqual([]);
  });

  it('pages with limit and nextToken', async () => {
    await submit(deps, 'alice');
    await submit(deps, 'alice');

    const first = await call<{ items: unknown[]; nextToken: string }>({ route: 'GET /requests', query: { limit: '1' } });
    const second = await call<{ items: unknown[]; nextToken?: string }>({ route: 'GET /requests', query: { limit: '1', nextToken: first.body.nextToken } });

    expect(first.body.items).toHaveLength(1);
    expect(second.body.items).toHaveLength(1);
    expect(second.body.nextToken).toBeUndefined();
  });

  it('refuses an unknown query parameter, naming it', async () => {
    const res = await call<ErrorBody>({ route: 'GET /requests', query: { owner: 'bob' } });

    expect(res.statusCode).toBe(400);
    expect(res.body.error.field).toBe('owner');
  });

  it.each([
    [{ status: 'SLEEPING' }, 'status'],
    [{ limit: '0' }, 'limit'],
    [{ limit: 'ten' }, 'limit'],
    [{ status: 'ACTIVE', pendingMyApproval: 'true' }, 'status'],
    [{ nextToken: 'garbage' }, 'nextToken'],
  ])('refuses the query %j, naming %s', async (query, field) => {
    const res = await call<ErrorBody>({ route: 'GET /requests', query });

    expect(res.statusCode).toBe(400);
    expect(res.body.error.field).toBe(field);
  });
});

describe('GET /requests/{id}', () => {
  it('shows the request to its requester', async () => {
    const request = await submit(deps, 'alice');

    const res = await call({ route: 'GET /requests/{id}', pathParameters: { id: request.id } });

    expect(res.statusCode).toBe(200);
    expect(res.body).toMatchObject({ request: { id: request.id } });
  });

  it('answers 404 for an unknown id', async () => {
    const res = await call<ErrorBody>({ route: 'GET /requests/{id}', pathParameters: { id: 'req-9999' } });

    expect(res.statusCode).toBe(404);
    expect(res.body.error.code).toBe('NotFound');
  });

  it('answers 404 to a caller who may not see the request', async () => {
    const request = await submit(deps, 'alice');

    const res = await call({ route: 'GET /requests/{id}', pathParameters: { id: request.id }, callerArn: ARNS.dave });

    expect(res.statusCode).toBe(404);
  });

  it('refuses a malformed id, naming it', async () => {
    const res = await call<ErrorBody>({ route: 'GET /requests/{id}', pathParameters: { id: '../etc/passwd' } });

    expect(res.statusCode).toBe(400);
    expect(res.body.error.field).toBe('id');
  });
});

describe('POST /requests/{id}/approve', () => {
  it('approves with an empty body and settles the stored token', async () => {
    // Prepare
    const request = await submit(deps, 'alice');
    await awaitApproval(deps, request.id, 'approval-token');

    // Act
    const res = await call({ route: 'POST /requests/{id}/approve', pathParameters: { id: request.id }, callerArn: ARNS.bob });

    // Assess
    expect(res.statusCode).toBe(200);
    expect(res.body).toMatchObject({ request: { status: 'APPROVED' } });
    expect(deps.workflow.succeeded.map((s) => s.token)).toEqual(['approval-token']);
  });

  it('answers 403 to an approval by the requester', async () => {
    const request = await submit(deps, 'carol');

    const res = await post<ErrorBody>('POST /requests/{id}/approve', { comment: 'me' }, ARNS.carol, request.id);

    expect(res.statusCode).toBe(403);
    expect(res.body.error.code).toBe('Forbidden');
  });

  it('answers 409 to a second approval', async () => {
    const request = await submit(deps, 'alice');
    await post('POST /requests/{id}/approve', {}, ARNS.bob, request.id);

    const res = await post<ErrorBody>('POST /requests/{id}/approve', {}, ARNS.carol, request.id);

    expect(res.statusCode).toBe(409);
    expect(res.body.error.code).toBe('Conflict');
  });

  it('answers 404 for an unknown id', async () => {
    const res = await post('POST /requests/{id}/approve', {}, ARNS.bob, 'req-9999');

    expect(res.statusCode).toBe(404);
  });

  it('refuses an unknown body field, naming it', async () => {
    const request = await submit(deps, 'alice');

    const res = await post<ErrorBody>('POST /requests/{id}/approve', { comment: 'ok', approve: true }, ARNS.bob, request.id);

    expect(res.statusCode).toBe(400);
    expect(res.body.error.field).toBe('approve');
  });
});

describe('POST /requests/{id}/deny and /cancel', () => {
  it('denies with a reason', async () => {
    const request = await submit(deps, 'alice');

    const res = await post('POST /requests/{id}/deny', { reason: 'change freeze' }, ARNS.bob, request.id);

    expect(res.statusCode).toBe(200);
    expect(res.body).toMatchObject({ request: { status: 'DENIED', denial: { reason: 'change freeze' } } });
  });

  it('refuses a denial without a reason, naming reason', async () => {
    const request = await submit(deps, 'alice');

    const res = await post<ErrorBody>('POST /requests/{id}/deny', {}, ARNS.bob, request.id);

    expect(res.statusCode).toBe(400);
    expect(res.body.error.field).toBe('reason');
  });

  it('lets the requester cancel', async () => {
    const request = await submit(deps, 'alice');

    const res = await post('POST /requests/{id}/cancel', { reason: 'not needed' }, ARNS.alice, request.id);

    expect(res.statusCode).toBe(200);
    expect(res.body).toMatchObject({ request: { status: 'CANCELLED' } });
  });

  it('answers 409 to a cancel of a denied request', async () => {
    const request = await submit(deps, 'alice');
    await post('POST /requests/{id}/deny', { reason: 'no' }, ARNS.bob, request.id);

    const res = await post('POST /requests/{id}/cancel', {}, ARNS.alice, request.id);

    expect(res.statusCode).toBe(409);
  });
});

describe('POST /requests/{id}/revoke', () => {
  it('records an early revoke of active access', async () => {
    const request = await submit(deps, 'alice', AUTO_APPROVED);
    await grantAccess(deps, request.id);

    const res = await post('POST /requests/{id}/revoke', { reason: 'done' }, ARNS.alice, request.id);

    expect(res.statusCode).toBe(200);
    expect(res.body).toMatchObject({ request: { status: 'ACTIVE', revocation: { reason: 'done' } } });
  });

  it('answers 409 to a revoke of a pending request', async () => {
    const request = await submit(deps, 'alice');

    const res = await post('POST /requests/{id}/revoke', {}, ARNS.alice, request.id);

    expect(res.statusCode).toBe(409);
  });
});

describe('GET /requests/{id}/audit', () => {
  it('returns the chain and its verdict', async () => {
    const request = await submit(deps, 'alice');

    const res = await call<{ items: unknown[]; verified: boolean }>({ route: 'GET /requests/{id}/audit', pathParameters: { id: request.id } });

    expect(res.statusCode).toBe(200);
    expect(res.body.verified).toBe(true);
    expect(res.body.items).toHaveLength(1);
  });
});

describe('unknown routes', () => {
  it('answers 404', async () => {
    const res = await call<ErrorBody>({ route: 'DELETE /requests/{id}', pathParameters: { id: 'req-1' } });

    expect(res.statusCode).toBe(404);
    expect(res.body.error.code).toBe('NotFound');
  });
});
