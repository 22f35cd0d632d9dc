import { readFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { GrantSpec } from '../../../functions/catalog/schema.js';
import { handler as apiHandler, lifecycleRoutes } from '../../../functions/lifecycle/handlers/lifecycle.api.js';
import { handler as offboardHandler } from '../../../functions/lifecycle/handlers/offboard.event.js';
import { handler as sweeperHandler } from '../../../functions/lifecycle/handlers/sweeper.schedule.js';
import { overrideLifecycleSettings } from '../../../functions/lifecycle/settings.js';
import { setCatalog } from '../../../functions/shared/catalog.js';
import { overrideDeps } from '../../../functions/shared/deps.js';
import { logger } from '../../../functions/shared/logger.js';
import { ARNS, catalogSnapshot, POLICIES, userArn } from '../../helpers/catalog.js';
import { apiEvent, lambdaContext, parseResponse } from '../../helpers/events.js';
import { testDeps, type TestDeps } from '../../helpers/memory.js';
import { seed } from './helpers.js';

interface ErrorBody {
  error: { code: string; message: string; field?: string };
}

const READ_ONLY: GrantSpec = { type: 'managed-policy', policyArn: POLICIES.readOnly };
const LEAVER = userArn('leaver');
const fixture = (name: string) => JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8')) as Record<string, unknown>;
const context = lambdaContext('grantline-lifecycle');

let deps: TestDeps;

const post = async <T = Record<string, unknown>>(route: string, body: unknown, callerArn: string = ARNS.carol) =>
  parseResponse<T>(await apiHandler(apiEvent({ route, body, callerArn }), context));

beforeAll(() => {
  vi.stubEnv('AUDIT_TABLE_NAME', 'audit');
  vi.stubEnv('REQUESTS_TABLE_NAME', 'requests');
  logger.setLogLevel('SILENT');
});

beforeEach(async () => {
  deps = testDeps();
  setCatalog(catalogSnapshot());
  overrideDeps(deps);
  overrideLifecycleSettings({ sweepPolicy: {}, bulk: { sleep: async () => {} } });
  await seed(deps, deps.iam, { id: 'l-1', principal: LEAVER, grant: READ_ONLY, status: 'ACTIVE' });
  await seed(deps, deps.iam, { id: 'l-2', principal: LEAVER, grant: READ_ONLY, status: 'PENDING_APPROVAL' });
});

afterEach(() => {
  overrideLifecycleSettings(undefined);
  overrideDeps(undefined);
  setCatalog(undefined);
});

afterAll(() => {
  vi.unstubAllEnvs();
});

describe('POST /offboarding', () => {
  it('revokes and cancels for an admin, answering with the per-request results', async () => {
    const res = await post<{ counts: Record<string, number>; results: { requestId: string; outcome: string }[]; durationMs: number }>('POST /offboarding', {
      principal: LEAVER,
      reason: 'left the company',
    });

    expect(res.statusCode).toBe(200);
    expect(res.body.counts).toEqual({ REVOKED: 1, CANCELLED: 1, FAILED: 0, SKIPPED: 0 });
    expect(res.body.results).toEqual(
      expect.arrayContaining([expect.objectContaining({ requestId: 'l-1', outcome: 'REVOKED' }), expect.objectContaining({ requestId: 'l-2', outcome: 'CANCELLED' })]),
    );
    expect(typeof res.body.durationMs).toBe('number');
  });

  it('answers 403 to a caller who is not an admin', async () => {
    const res = await post<ErrorBody>('POST /offboarding', { principal: LEAVER, reason: 'left' }, ARNS.alice);

    expect(res.statusCode).toBe(403);
    expect(deps.audit.actions('l-1')).toEqual(['REQUESTED', 'GRANTED']);
  });

  it.each([
    [{ principal: LEAVER, reason: 'left', force: true }, 'force'],
    [{ principal: 'arn:aws:sts::000000000000:assumed-role/dev/leaver', reason: 'left' }, 'principal'],
    [{ principal: 'leaver', reason: 'left' }, 'principal'],
    [{ principal: LEAVER }, 'reason'],
    [{ principal: LEAVER, reason: '   ' }, 'reason'],
  ])('answers 400 naming the field for %j', async (body, field) => {
    const res = await post<ErrorBody>('POST /offboarding', body);

    expect(res.statusCode).toBe(400);
    expect(res.body.error.field).toBe(field);
  });
});

describe('POST /kill-switch', () => {
  it('answers 400 naming confirm when it is not exactly "REVOKE ALL"', async () => {
    const res = await post<ErrorBody>('POST /kill-switch', { reason: 'leak', confirm: 'revoke all' });

    expect(res.statusCode).toBe(400);
    expect(res.body.error).toMatchObject({ code: 'ValidationError', field: 'confirm' });
    expect(deps.iam.objects.size).toBe(1);
  });

  it('answers 400 naming confirm when it is missing', async () => {
    const res = await post<ErrorBody>('POST /kill-switch', { reason: 'leak' });

    expect(res.statusCode).toBe(400);
    expect(res.body.error.field).toBe('confirm');
  });

  it('answers 403 to a caller who is not an admin', async () => {
    const res = await post<ErrorBody>('POST /kill-switch', { reason: 'leak', confirm: 'REVOKE ALL' }, ARNS.bob);

    expect(res.statusCode).toBe(403);
  });

  it('revokes every grant for an admin', async () => {
    const res = await post<{ actor: string; counts: Record<string, number> }>('POST /kill-switch', { reason: 'leak', confirm: 'REVOKE ALL' });

    expect(res.statusCode).toBe(200);
    expect(res.body).toMatchObject({ actor: ARNS.carol, counts: { REVOKED: 1 } });
    expect(deps.iam.objects.size).toBe(0);
  });

  it('declares exactly the two routes', () => {
    expect(Object.keys(lifecycleRoutes).sort()).toEqual(['POST /kill-switch', 'POST /offboarding']);
  });
});

describe('offboard event', () => {
  it('offboards the principal as event:<source>', async () => {
    const result = await offboardHandler(fixture('offboard-principal-event.json'), context);

    expect(result).toMatchObject({ actor: 'event:hr.workday', principal: LEAVER, reason: 'employment ended', counts: { REVOKED: 1, CANCELLED: 1 } });
    expect(deps.audit.records('l-1').at(-1)).toMatchObject({ action: 'REVOKED', actor: 'event:hr.workday', reason: 'offboarded: employment ended' });
    expect(deps.audit.records(result.operationId)[0]).toMatchObject({ kind: 'OFFBOARDING', detail: { requestedBy: 'hr-ops@example.com' } });
  });

  it('ignores unknown detail fields but refuses a malformed principal', async () => {
    const event = fixture('offboard-principal-event.json');
    const detail = event['detail'] as Record<string, unknown>;

    await expect(offboardHandler({ ...event, detail: { ...detail, employeeId: 'E-1' } }, context)).resolves.toMatchObject({ counts: { REVOKED: 1 } });
    await expect(offboardHandler({ ...event, detail: { ...detail, principal: 'someone' } }, context)).rejects.toMatchObject({ name: 'ValidationError', field: 'detail.principal' });
  });

  it('refuses an event of another detail-type', async () => {
    const event = { ...fixture('offboard-principal-event.json'), 'detail-type': 'Something Else' };

    await expect(offboardHandler(event, context)).rejects.toMatchObject({ name: 'ValidationError', field: 'detail-type' });
    expect(deps.iam.objects.size).toBe(1);
  });
});

describe('sweeper schedule', () => {
  it('sweeps and returns the summary', async () => {
    deps.time.advance(2 * 3600 + 61);

    const summary = await sweeperHandler(fixture('scheduled-event.json'), context);

    expect(summary).toMatchObject({ expired: ['l-1'], approvalsExpired: ['l-2'], failed: [] });
    expect(deps.iam.objects.size).toBe(0);
  });
});
