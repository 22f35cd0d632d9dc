import { describe, expect, it } from 'vitest';
import { ConflictError, ForbiddenError, ValidationError } from '../../../functions/access/domain/errors.js';
import {
  TRANSITIONS,
  approve,
  canTransition,
  cancel,
  createRequest,
  deny,
  expireApproval,
  isTerminal,
  recordGrant,
  recordGrantFailure,
  recordRevoke,
  recordRevokeFailure,
  requestRevoke,
  secondsUntil,
  type CreateInput,
} from '../../../functions/access/domain/lifecycle.js';
import { STATUSES, SYSTEM_ACTOR, type Status } from '../../../functions/access/domain/types.js';
import { buildCatalog, roleArn, sessionArn, withMembers } from '../../helpers/catalog.js';
import { caller, requestState } from '../../helpers/requests.js';

const NOW = new Date('2030-01-15T10:00:00.000Z');
const catalog = buildCatalog();
const ctx = (who: string, now = NOW) => ({ caller: caller(who), catalog, now });
const createCtx = (who: string, now = NOW) => ({ id: 'req-1', caller: caller(who), catalog, catalogVersion: 'v1', now });

/** Asserts that `fn` throws an error of `type` whose field is `field`. */
function expectError(fn: () => unknown, type: new (...args: never[]) => Error, field?: string) {
  let thrown: unknown;
  try {
    fn();
  } catch (err) {
    thrown = err;
  }
  expect(thrown).toBeInstanceOf(type);
  if (field !== undefined) expect((thrown as { field?: string }).field).toBe(field);
}

describe('transitions', () => {
  const legal: [Status, Status][] = [
    ['PENDING_APPROVAL', 'APPROVED'],
    ['PENDING_APPROVAL', 'DENIED'],
    ['PENDING_APPROVAL', 'CANCELLED'],
    ['PENDING_APPROVAL', 'APPROVAL_EXPIRED'],
    ['APPROVED', 'ACTIVE'],
    ['APPROVED', 'GRANT_FAILED'],
    ['APPROVED', 'REVOKED'],
    ['ACTIVE', 'REVOKED'],
    ['ACTIVE', 'EXPIRED'],
    ['ACTIVE', 'REVOKE_FAILED'],
    ['REVOKE_FAILED', 'REVOKED'],
    ['REVOKE_FAILED', 'EXPIRED'],
  ];

  it.each(legal)('allows %s → %s', (from, to) => {
    expect(canTransition(from, to)).toBe(true);
  });

  it('allows exactly those changes of status and nothing else', () => {
    // Prepare
    const allowed = STATUSES.flatMap((from) => STATUSES.filter((to) => to !== from && canTransition(from, to)).map((to) => [from, to]));

    // Assess
    expect(allowed.sort()).toEqual([...legal].sort());
  });

  it.each([
    ['PENDING_APPROVAL', 'ACTIVE'],
    ['PENDING_APPROVAL', 'REVOKED'],
    ['APPROVED', 'PENDING_APPROVAL'],
    ['APPROVED', 'DENIED'],
    ['ACTIVE', 'APPROVED'],
    ['ACTIVE', 'GRANT_FAILED'],
    ['REVOKED', 'ACTIVE'],
    ['EXPIRED', 'REVOKED'],
    ['DENIED', 'APPROVED'],
    ['CANCELLED', 'PENDING_APPROVAL'],
    ['GRANT_FAILED', 'ACTIVE'],
    ['APPROVAL_EXPIRED', 'APPROVED'],
  ] as [Status, Status][])('refuses %s → %s', (from, to) => {
    expect(canTransition(from, to)).toBe(false);
  });

  it('leaves terminal statuses for good', () => {
    for (const status of ['REVOKED', 'EXPIRED', 'DENIED', 'APPROVAL_EXPIRED', 'CANCELLED', 'GRANT_FAILED'] as Status[]) {
      expect(TRANSITIONS[status]).toEqual([]);
      expect(isTerminal(status)).toBe(true);
    }
    expect(isTerminal('REVOKE_FAILED')).toBe(false);
    expect(isTerminal('ACTIVE')).toBe(false);
  });
});

describe('createRequest', () => {
  const input: CreateInput = { entitlement: 'prod-read', duration: '2h', justification: 'investigate INC-1' };

  it('opens a pending request with an approval deadline and the required approvals', () => {
    // Act
    const draft = createRequest(input, createCtx('alice'));

    // Assess
    expect(draft.action).toBe('REQUESTED');
    expect(draft.actor).toBe(caller('alice').arn);
    expect(draft.state).toMatchObject({
      id: 'req-1',
      status: 'PENDING_APPROVAL',
      duration: 'PT2H',
      durationSeconds: 7200,
      approvalDeadline: '2030-01-15T11:00:00.000Z',
      requiredApprovals: 1,
      autoApproved: false,
      grant: { type: 'managed-policy' },
      catalogVersion: 'v1',
      seq: 1,
    });
  });

  it('auto-approves when the rule applies', () => {
    // Act
    const draft = createRequest({ ...input, duration: '30m' }, createCtx('alice'));

    // Assess
    expect(draft.state).toMatchObject({ status: 'APPROVED', autoApproved: true, approvalDeadline: null, requiredApprovals: 0 });
    expect(draft.detail).toMatchObject({ autoApproved: true });
  });

  it('grants an assumed-role session on its role', () => {
    // Prepare
    const withRole = buildCatalog(withMembers('developers', [roleArn('ops')]));

    // Act
    const draft = createRequest(input, { ...createCtx('alice'), caller: caller(sessionArn('ops', 'alice')), catalog: withRole });

    // Assess
    expect(draft.state.requester).toBe(sessionArn('ops', 'alice'));
    expect(draft.state.principal).toBe(roleArn('ops'));
  });

  it('refuses an unknown entitlement, naming the field', () => {
    expectError(() => createRequest({ ...input, entitlement: 'nope' }, createCtx('alice')), ValidationError, 'entitlement');
  });

  it('refuses a caller who is not eligible', () => {
    expectError(() => createRequest(input, createCtx('dave')), ForbiddenError, 'entitlement');
  });

  it('refuses a caller from another account', () => {
    expectError(() => createRequest(input, createCtx('arn:aws:iam::111111111111:user/alice')), ForbiddenError);
  });

  it('refuses a group grant to a role, which cannot join groups', () => {
    const withRole = buildCatalog(withMembers('developers', [roleArn('ops')]));

    expectError(
      () => createRequest({ ...input, entitlement: 'billing' }, { ...createCtx('alice'), caller: caller(sessionArn('ops', 'x')), catalog: withRole }),
      ForbiddenError,
      'entitlement',
    );
  });

  it.each(['forever', 'PT0M', '', '1.5h'])('refuses the duration %j, naming the field', (duration) => {
    expectError(() => createRequest({ ...input, duration }, createCtx('alice')), ValidationError, 'duration');
  });

  it('refuses a duration over the entitlement maximum', () => {
    expectError(() => createRequest({ ...input, duration: 'PT4H1M' }, createCtx('alice')), ValidationError, 'duration');
  });

  it('accepts the entitlement maximum exactly', () => {
    expect(createRequest({ ...input, duration: '4h' }, createCtx('alice')).state.durationSeconds).toBe(14400);
  });

  it('requires a ticket where the entitlement asks for one', () => {
    expectError(() => createRequest({ ...input, entitlement: 'prod-admin', duration: '1h' }, createCtx('alice')), ValidationError, 'ticket');
  });

  it('refuses a ticket that does not match the pattern', () => {
    expectError(
      () => createRequest({ ...input, entitlement: 'prod-admin', duration: '1h', ticket: 'JIRA-1' }, createCtx('alice')),
      ValidationError,
      'ticket',
    );
  });

  it('keeps a matching ticket and requires two approvals', () => {
    const draft = createRequest({ ...input, entitlement: 'prod-admin', duration: '1h', ticket: ' OPS-42 ' }, createCtx('alice'));

    expect(draft.state).toMatchObject({ ticket: 'OPS-42', requiredApprovals: 2, status: 'PENDING_APPROVAL' });
  });

  it('refuses an auto-only entitlement when the rule does not apply', () => {
    // Prepare
    const autoOnly = buildCatalog((c) => {
      c.entitlements[0]!.approval = { approvers: [], auto: { groups: ['oncall'], maxDuration: 'PT1H' } };
    });

    // Act / Assess
    expectError(() => createRequest(input, { ...createCtx('alice'), catalog: autoOnly }), ForbiddenError);
  });
});

describe('approve', () => {
  it('approves a one-approver request', () => {
    // Act
    const draft = approve(requestState(), 'looks fine', ctx('bob'));

    // Assess
    expect(draft.action).toBe('APPROVED');
    expect(draft.reason).toBe('looks fine');
    expect(draft.state.status).toBe('APPROVED');
    expect(draft.state.approvals).toEqual([{ by: caller('bob').arn, at: NOW.toISOString(), comment: 'looks fine' }]);
  });

  it('keeps a two-approver request pending after the first approval', () => {
    const draft = approve(requestState({ requiredApprovals: 2 }), undefined, ctx('bob'));

    expect(draft.state.status).toBe('PENDING_APPROVAL');
    expect(draft.detail).toEqual({ approvals: 1, required: 2, decided: false });
  });

  it('approves a two-approver request once a second, different approver agrees', () => {
    const first = approve(requestState({ requiredApprovals: 2 }), undefined, ctx('bob')).state;

    const draft = approve(first, undefined, ctx('carol'));

    expect(draft.state.status).toBe('APPROVED');
    expect(draft.state.approvals.map((a) => a.by)).toEqual([caller('bob').arn, caller('carol').arn]);
  });

  it('refuses an approval by the requester', () => {
    const own = requestState({ requester: caller('bob').arn, principal: caller('bob').arn });

    expectError(() => approve(own, undefined, ctx('bob')), ForbiddenError);
  });

  it('refuses an approval by another session of the requester’s role', () => {
    // Prepare: the role is both requester and approver
    const withRole = buildCatalog(withMembers('sre-leads', [roleArn('ops')]));
    const state = requestState({ requester: sessionArn('ops', 'alice'), principal: roleArn('ops') });

    // Act / Assess
    expectError(() => approve(state, undefined, { caller: caller(sessionArn('ops', 'someone-else')), catalog: withRole, now: NOW }), ForbiddenError);
  });

  it('refuses an approval by the user behind a request made as that user', () => {
    const state = requestState({ requester: caller('carol').arn, principal: caller('carol').arn });

    expectError(() => approve(state, undefined, ctx('carol')), ForbiddenError);
  });

  it('refuses an approval by someone who is not an approver', () => {
    expectError(() => approve(requestState(), undefined, ctx('dave')), ForbiddenError);
  });

  it('does not count the same approver twice', () => {
    const first = approve(requestState({ requiredApprovals: 2 }), undefined, ctx('bob')).state;

    expectError(() => approve(first, undefined, ctx('bob')), ConflictError);
  });

  it('does not count two sessions of the same approver role twice', () => {
    // Prepare
    const withRole = buildCatalog(withMembers('sre-leads', [roleArn('leads')]));
    const as = (session: string) => ({ caller: caller(sessionArn('leads', session)), catalog: withRole, now: NOW });
    const first = approve(requestState({ requiredApprovals: 2 }), undefined, as('one')).state;

    // Act / Assess
    expectError(() => approve(first, undefined, as('two')), ConflictError);
  });

  it('counts two Identity Center sessions listed by name as two approvers', () => {
    // Prepare
    const sso = 'AWSReservedSSO_Leads_1234';
    const withSso = buildCatalog(withMembers('sre-leads', [sessionArn(sso, 'erin'), sessionArn(sso, 'frank')]));
    const as = (session: string) => ({ caller: caller(sessionArn(sso, session)), catalog: withSso, now: NOW });
    const first = approve(requestState({ requiredApprovals: 2 }), undefined, as('erin')).state;

    // Act
    const draft = approve(first, undefined, as('frank'));

    // Assess
    expect(draft.state.status).toBe('APPROVED');
  });

  it('refuses an approval of a request that is no longer pending', () => {
    expectError(() => approve(requestState({ status: 'APPROVED' }), undefined, ctx('bob')), ConflictError);
    expectError(() => approve(requestState({ status: 'DENIED' }), undefined, ctx('bob')), ConflictError);
  });

  it('refuses an approval after the approval window closed', () => {
    expectError(() => approve(requestState(), undefined, ctx('bob', new Date('2030-01-15T11:00:00.000Z'))), ConflictError);
  });

  it('refuses an approval when the entitlement left the catalog', () => {
    expectError(() => approve(requestState({ entitlement: 'retired' }), undefined, ctx('bob')), ForbiddenError);
  });
});

describe('deny', () => {
  it('denies with the approver and the reason', () => {
    const draft = deny(requestState(), 'not during the freeze', ctx('carol'));

    expect(draft.action).toBe('DENIED');
    expect(draft.state).toMatchObject({
      status: 'DENIED',
      denial: { by: caller('carol').arn, reason: 'not during the freeze' },
      endedAt: NOW.toISOString(),
    });
  });

  it('refuses a denial by the requester', () => {
    const own = requestState({ requester: caller('bob').arn, principal: caller('bob').arn });

    expectError(() => deny(own, 'no', ctx('bob')), ForbiddenError);
  });

  it('refuses a denial by someone who is not an approver', () => {
    expectError(() => deny(requestState(), 'no', ctx('dave')), ForbiddenError);
  });

  it('refuses to deny what is already approved', () => {
    expectError(() => deny(requestState({ status: 'APPROVED' }), 'no', ctx('bob')), ConflictError);
  });
});

describe('cancel', () => {
  it('lets the requester cancel a pending request', () => {
    const draft = cancel(requestState(), 'not needed', ctx('alice'));

    expect(draft.state.status).toBe('CANCELLED');
    expect(draft.reason).toBe('not needed');
  });

  it('lets an admin cancel someone else’s request', () => {
    expect(cancel(requestState(), undefined, ctx('carol')).state.status).toBe('CANCELLED');
  });

  it('refuses a cancel by anyone else', () => {
    expectError(() => cancel(requestState(), undefined, ctx('bob')), ForbiddenError);
  });

  it('refuses to cancel a request that is no longer pending', () => {
    expectError(() => cancel(requestState({ status: 'ACTIVE' }), undefined, ctx('alice')), ConflictError);
  });
});

describe('requestRevoke', () => {
  const active = requestState({ status: 'ACTIVE', expiresAt: '2030-01-15T12:00:00.000Z', grantedAt: NOW.toISOString() });

  it.each(['alice', 'bob', 'carol'])('lets %s (requester, approver or admin) revoke early', (who) => {
    const draft = requestRevoke(active, undefined, ctx(who));

    expect(draft.action).toBe('REVOKE_REQUESTED');
    expect(draft.state.status).toBe('ACTIVE');
    expect(draft.state.revocation).toEqual({ by: caller(who).arn, at: NOW.toISOString(), reason: 'revoked early' });
  });

  it('refuses a revoke by anyone else', () => {
    expectError(() => requestRevoke(active, undefined, ctx('dave')), ForbiddenError);
  });

  it('allows a revoke before the grant ran', () => {
    expect(requestRevoke(requestState({ status: 'APPROVED' }), 'changed my mind', ctx('alice')).state.revocation?.reason).toBe('changed my mind');
  });

  it('refuses to revoke a pending or closed request', () => {
    expectError(() => requestRevoke(requestState(), undefined, ctx('alice')), ConflictError);
    expectError(() => requestRevoke(requestState({ status: 'EXPIRED' }), undefined, ctx('alice')), ConflictError);
  });

  it('refuses a second revoke', () => {
    const once = requestRevoke(active, undefined, ctx('alice')).state;

    expectError(() => requestRevoke(once, undefined, ctx('bob')), ConflictError);
  });
});

describe('system decisions', () => {
  it('expires a pending request as the system', () => {
    const draft = expireApproval(requestState(), NOW);

    expect(draft).toMatchObject({ action: 'APPROVAL_EXPIRED', actor: SYSTEM_ACTOR, state: { status: 'APPROVAL_EXPIRED', endedAt: NOW.toISOString() } });
  });

  it('records a grant with the expiry counted from the grant', () => {
    const expiresAt = new Date('2030-01-15T12:00:00.000Z');

    const draft = recordGrant(requestState({ status: 'APPROVED' }), NOW, expiresAt, { changed: true });

    expect(draft.state).toMatchObject({ status: 'ACTIVE', grantedAt: NOW.toISOString(), expiresAt: expiresAt.toISOString() });
    expect(draft.detail).toMatchObject({ changed: true, expiresAt: expiresAt.toISOString() });
  });

  it('refuses to record a grant for a request that is not approved', () => {
    expectError(() => recordGrant(requestState(), NOW, NOW, {}), ConflictError);
  });

  it('records a revoke before the grant as REVOKED with nothing granted', () => {
    const state = requestState({ status: 'APPROVED', revocation: { by: caller('alice').arn, at: NOW.toISOString(), reason: 'oops' } });

    const draft = recordRevoke(state, NOW, {});

    expect(draft).toMatchObject({ action: 'REVOKED', actor: caller('alice').arn, reason: 'oops', detail: { granted: false } });
  });

  it('records REVOKED when a revocation was asked for before expiry', () => {
    const state = requestState({
      status: 'ACTIVE',
      expiresAt: '2030-01-15T12:00:00.000Z',
      revocation: { by: caller('bob').arn, at: NOW.toISOString(), reason: 'done' },
    });

    const draft = recordRevoke(state, NOW, {});

    expect(draft).toMatchObject({ action: 'REVOKED', actor: caller('bob').arn, state: { status: 'REVOKED' } });
  });

  it('records EXPIRED when time ran out', () => {
    const state = requestState({ status: 'ACTIVE', expiresAt: '2030-01-15T10:00:00.000Z' });

    const draft = recordRevoke(state, NOW, {});

    expect(draft).toMatchObject({ action: 'EXPIRED', actor: SYSTEM_ACTOR, state: { status: 'EXPIRED', endedAt: NOW.toISOString() } });
  });

  it('clears the failure when a failed revoke finally succeeds', () => {
    const state = requestState({ status: 'REVOKE_FAILED', expiresAt: '2030-01-15T09:00:00.000Z', failure: { error: 'IamPermanentError', cause: 'x' } });

    const draft = recordRevoke(state, NOW, {});

    expect(draft.state).toMatchObject({ status: 'EXPIRED', failure: null });
  });

  it('records grant and revoke failures with their cause', () => {
    expect(recordGrantFailure(requestState({ status: 'APPROVED' }), NOW, 'IamPermanentError', 'malformed', {}).state).toMatchObject({
      status: 'GRANT_FAILED',
      failure: { error: 'IamPermanentError', cause: 'malformed' },
      endedAt: NOW.toISOString(),
    });
    expect(recordRevokeFailure(requestState({ status: 'ACTIVE' }), 'IamTransientError', 'throttled', {}).state).toMatchObject({
      status: 'REVOKE_FAILED',
      failure: { error: 'IamTransientError', cause: 'throttled' },
    });
  });

  it('refuses to record a grant failure on a closed request', () => {
    expectError(() => recordGrantFailure(requestState({ status: 'REVOKED' }), NOW, 'e', 'c', {}), ConflictError);
  });
});

describe('secondsUntil', () => {
  it('rounds up and never goes below zero', () => {
    expect(secondsUntil('2030-01-15T10:00:01.500Z', NOW)).toBe(2);
    expect(secondsUntil('2030-01-15T09:00:00.000Z', NOW)).toBe(0);
    expect(secondsUntil(null, NOW)).toBe(0);
  });
});
