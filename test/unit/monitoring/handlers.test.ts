import { marshall } from '@aws-sdk/util-dynamodb';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { AuditRecord } from '../../../functions/access/domain/types.js';
import { handler as enrichHandler } from '../../../functions/monitoring/handlers/audit-feed.enrich.js';
import { handler as executionHandler } from '../../../functions/monitoring/handlers/execution-ended.event.js';
import { handler as iamChangeHandler } from '../../../functions/monitoring/handlers/iam-change.event.js';
import { handler as apiHandler, monitoringRoutes } from '../../../functions/monitoring/handlers/monitoring.api.js';
import { handler as reviewHandler } from '../../../functions/monitoring/handlers/review.schedule.js';
import { overrideMonitoring } from '../../../functions/monitoring/settings.js';
import { setCatalog } from '../../../functions/shared/catalog.js';
import { overrideDeps } from '../../../functions/shared/deps.js';
import { logger } from '../../../functions/shared/logger.js';
import { ARNS, catalogSnapshot, POLICIES } from '../../helpers/catalog.js';
import { apiEvent, lambdaContext, parseResponse } from '../../helpers/events.js';
import { fixture, GRANTLINE_ROLE, IDENTITIES, monitoringTestDeps, type MonitoringTestDeps, seedRequest, trailEvent } from './helpers.js';

interface ErrorBody {
  error: { code: string; message: string; field?: string };
}

const context = lambdaContext('grantline-monitoring');
let deps: MonitoringTestDeps;

const call = async <T = Record<string, unknown>>(route: string, options: { query?: Record<string, string>; body?: unknown; callerArn?: string; pathParameters?: Record<string, string> } = {}) =>
  parseResponse<T>(await apiHandler(apiEvent({ route, ...options }), context));

beforeAll(() => {
  vi.stubEnv('AUDIT_TABLE_NAME', 'audit');
  vi.stubEnv('REQUESTS_TABLE_NAME', 'requests');
  vi.stubEnv('EVENT_BUS_NAME', 'grantline');
  logger.setLogLevel('SILENT');
});

beforeEach(() => {
  vi.stubEnv('GRANTLINE_ROLE_ARNS', `${GRANTLINE_ROLE}, arn:aws:iam::000000000000:role/grantline-local`);
  vi.stubEnv('ANOMALY_MODE', '');
  deps = monitoringTestDeps();
  setCatalog(catalogSnapshot());
  overrideDeps(deps);
  overrideMonitoring({ inventory: deps.inventory, remediator: deps.remediator, events: deps.events });
});

afterEach(() => {
  overrideMonitoring(undefined);
  overrideDeps(undefined);
  setCatalog(undefined);
});

afterAll(() => {
  vi.unstubAllEnvs();
});

describe('iam-change event handler', () => {
  it('records and alerts on the untracked AttachUserPolicy fixture', async () => {
    const result = await iamChangeHandler(fixture('attach-user-policy.json'), context);

    expect(result).toEqual({ outcome: 'anomaly', eventId: 'd6c1f2a0-1b2c-4d3e-8f90-a1b2c3d4e5f6', anomalyId: 'anomaly#d6c1f2a0-1b2c-4d3e-8f90-a1b2c3d4e5f6' });
    expect(deps.audit.anomalies()).toHaveLength(1);
    expect(deps.alerts.messages).toHaveLength(1);
  });

  it("treats Grantline's own grant as normal", async () => {
    await seedRequest(deps, { id: 'req-ro', principal: ARNS.alice, grant: { type: 'managed-policy', policyArn: POLICIES.readOnly }, entitlement: 'prod-read', status: 'ACTIVE' });

    const result = await iamChangeHandler(trailEvent({ identity: IDENTITIES.grantline, requestParameters: { userName: 'alice', policyArn: POLICIES.readOnly } }), context);

    expect(result).toMatchObject({ outcome: 'normal', requestId: 'req-ro' });
    expect(deps.alerts.messages).toHaveLength(0);
  });

  it('reverts when ANOMALY_MODE is revert', async () => {
    vi.stubEnv('ANOMALY_MODE', 'revert');
    overrideMonitoring(undefined);
    overrideMonitoring({ remediator: deps.remediator });

    await iamChangeHandler(fixture('attach-user-policy.json'), context);

    expect(deps.remediator.undone).toHaveLength(1);
  });

  it('fails fast on an unknown ANOMALY_MODE or missing GRANTLINE_ROLE_ARNS', async () => {
    overrideMonitoring(undefined);
    vi.stubEnv('ANOMALY_MODE', 'panic');
    await expect(iamChangeHandler(fixture('attach-user-policy.json'), context)).rejects.toThrow(/ANOMALY_MODE/);

    overrideMonitoring(undefined);
    vi.stubEnv('ANOMALY_MODE', 'alert');
    vi.stubEnv('GRANTLINE_ROLE_ARNS', '');
    await expect(iamChangeHandler(fixture('attach-user-policy.json'), context)).rejects.toThrow(/GRANTLINE_ROLE_ARNS/);
    expect(deps.audit.appends).toBe(0);
  });

  it('refuses an event that is not a CloudTrail API call', async () => {
    const event = { ...fixture('attach-user-policy.json'), 'detail-type': 'AWS Console Sign In via CloudTrail' };

    await expect(iamChangeHandler(event, context)).rejects.toMatchObject({ name: 'ValidationError', field: 'detail-type' });
  });
});

describe('execution-ended event handler', () => {
  it('marks the ACTIVE request of a failed execution REVOKE_FAILED', async () => {
    await seedRequest(deps, { id: 'req-0001', principal: ARNS.alice, grant: { type: 'managed-policy', policyArn: POLICIES.readOnly }, entitlement: 'prod-read', status: 'ACTIVE' });

    const outcome = await executionHandler(fixture('execution-failed.json'), context);

    expect(outcome).toMatchObject({ requestId: 'req-0001', action: 'REVOKE_FAILED' });
  });

  it('refuses an event of another detail-type', async () => {
    await expect(executionHandler({ ...fixture<Record<string, unknown>>('execution-failed.json'), 'detail-type': 'Other' }, context)).rejects.toMatchObject({ name: 'ValidationError' });
  });
});

describe('review schedule handler', () => {
  it('runs a review from the schedule and from a direct invoke with remediate', async () => {
    const scheduled = await reviewHandler(fixture('scheduled-event.json'), context);
    const direct = await reviewHandler({ remediate: true }, context);

    expect(scheduled).toMatchObject({ summary: { iamCalls: 1 }, published: { alerts: true, events: true } });
    expect(deps.audit.records(`review#${direct.id}`)[0]).toMatchObject({ actor: 'grantline:system', detail: { remediate: true } });
  });

  it('refuses a non-boolean remediate', async () => {
    await expect(reviewHandler({ remediate: 'yes' }, context)).rejects.toMatchObject({ name: 'ValidationError', field: 'remediate' });
  });
});

describe('GET /anomalies', () => {
  beforeEach(async () => {
    await iamChangeHandler(trailEvent({ eventId: 'evt-old' }), context);
    deps.time.advance(3600);
    await iamChangeHandler(trailEvent({ eventId: 'evt-new' }), context);
  });

  it('lists anomalies since a time, newest first, to an approver', async () => {
    const res = await call<{ items: AuditRecord[] }>('GET /anomalies', { query: { since: '2030-01-15T10:30:00+00:00' }, callerArn: ARNS.bob });

    expect(res.statusCode).toBe(200);
    expect(res.body.items.map((r) => r.requestId)).toEqual(['anomaly#evt-new']);
  });

  it('pages with limit and nextToken for an admin', async () => {
    const first = await call<{ items: AuditRecord[]; nextToken?: string }>('GET /anomalies', { query: { since: '2030-01-15T00:00:00Z', limit: '1' }, callerArn: ARNS.carol });
    const second = await call<{ items: AuditRecord[]; nextToken?: string }>('GET /anomalies', {
      query: { since: '2030-01-15T00:00:00Z', limit: '1', nextToken: first.body.nextToken! },
      callerArn: ARNS.carol,
    });

    expect([...first.body.items, ...second.body.items].map((r) => r.requestId)).toEqual(['anomaly#evt-new', 'anomaly#evt-old']);
    expect(second.body.nextToken).toBeUndefined();
  });

  it('answers 403 to a plain developer', async () => {
    const res = await call<ErrorBody>('GET /anomalies', { query: { since: '2030-01-15T00:00:00Z' }, callerArn: ARNS.alice });

    expect(res.statusCode).toBe(403);
  });

  it.each([[{}], [{ since: 'yesterday' }], [{ since: '2030-01-15' }]])('answers 400 naming since for %j', async (query) => {
    const res = await call<ErrorBody>('GET /anomalies', { query: query as Record<string, string>, callerArn: ARNS.bob });

    expect(res.statusCode).toBe(400);
    expect(res.body.error).toMatchObject({ code: 'ValidationError', field: 'since' });
  });

  it('answers 400 naming an unknown query field', async () => {
    const res = await call<ErrorBody>('GET /anomalies', { query: { since: '2030-01-15T00:00:00Z', kind: 'x' }, callerArn: ARNS.bob });

    expect(res.body.error.field).toBe('kind');
  });
});

describe('reviews API', () => {
  it('answers 404 before any review ran', async () => {
    const res = await call<ErrorBody>('GET /reviews/latest', { callerArn: ARNS.bob });

    expect(res.statusCode).toBe(404);
  });

  it('runs a review for an admin (201) and serves it as latest and by id', async () => {
    const created = await call<{ review: { id: string; remediate: boolean } }>('POST /reviews', { body: { remediate: false }, callerArn: ARNS.carol });
    deps.time.advance(60);
    const second = await call<{ review: { id: string } }>('POST /reviews', { body: {}, callerArn: ARNS.carol });

    const latest = await call<{ review: { id: string }; hash: string }>('GET /reviews/latest', { callerArn: ARNS.bob });
    const byId = await call<{ review: { id: string } }>('GET /reviews/{id}', { pathParameters: { id: created.body.review.id }, callerArn: ARNS.bob });

    expect(created.statusCode).toBe(201);
    expect(latest.body.review.id).toBe(second.body.review.id);
    expect(latest.body.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(byId.body.review.id).toBe(created.body.review.id);
  });

  it('answers 403 to a non-admin starting a review, and to a developer reading one', async () => {
    expect((await call('POST /reviews', { body: {}, callerArn: ARNS.bob })).statusCode).toBe(403);
    expect((await call('GET /reviews/latest', { callerArn: ARNS.alice })).statusCode).toBe(403);
  });

  it('answers 400 naming remediate when it is not a boolean, and 404 for an unknown id', async () => {
    const bad = await call<ErrorBody>('POST /reviews', { body: { remediate: 'yes' }, callerArn: ARNS.carol });
    const missing = await call<ErrorBody>('GET /reviews/{id}', { pathParameters: { id: 'nope' }, callerArn: ARNS.carol });

    expect(bad.body.error.field).toBe('remediate');
    expect(missing.statusCode).toBe(404);
  });

  it('declares exactly its routes', () => {
    expect(Object.keys(monitoringRoutes).sort()).toEqual(['GET /anomalies', 'GET /reviews/latest', 'GET /reviews/{id}', 'POST /reviews']);
  });
});

describe('audit feed enrichment', () => {
  it('turns stream records into audit event details and drops removals', async () => {
    await iamChangeHandler(fixture('attach-user-policy.json'), context);
    const record = deps.audit.anomalies()[0]!;
    const insert = { eventName: 'INSERT', dynamodb: { NewImage: marshall(record, { removeUndefinedValues: true }) } };

    const details = await enrichHandler([insert, { eventName: 'REMOVE', dynamodb: { OldImage: {} } }], context);

    expect(details).toHaveLength(1);
    expect(details[0]).toMatchObject({ requestId: record.requestId, seq: 1, kind: 'ANOMALY', action: 'ANOMALY', hash: record.hash, status: null, detail: { eventId: record.detail['eventId'] } });
  });
});
