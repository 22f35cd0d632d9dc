import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../../functions/access/domain/errors.js';
import { approveRequest, listEntitlements, listRequests } from '../../../../functions/access/use-cases/requests.js';
import { testDeps } from '../../../helpers/memory.js';
import { caller, submit } from '../../../helpers/requests.js';

const PROD_ADMIN = { entitlement: 'prod-admin', duration: '1h', justification: 'hotfix', ticket: 'OPS-3' };
const page = { limit: 50 };
const ids = (items: { id: string }[]) => items.map((i) => i.id).sort();

/** alice asks for prod-admin (two approvers); carol asks for prod-read. */
async function twoPending() {
  const deps = testDeps();
  const alices = await submit(deps, 'alice', PROD_ADMIN);
  const carols = await submit(deps, 'carol');
  return { deps, alices, carols };
}

describe('listRequests', () => {
  it('shows approvers what waits for them', async () => {
    const { deps, alices, carols } = await twoPending();

    const result = await listRequests(deps, caller('bob'), { pendingMyApproval: true }, page);

    expect(ids(result.items)).toEqual(ids([alices, carols]));
  });

  it('hides the caller’s own requests from pendingMyApproval', async () => {
    const { deps, alices } = await twoPending();

    const result = await listRequests(deps, caller('carol'), { pendingMyApproval: true }, page);

    expect(ids(result.items)).toEqual([alices.id]);
  });

  it('hides requests the caller already approved from pendingMyApproval', async () => {
    // Prepare: carol gives the first of two approvals
    const { deps, alices } = await twoPending();
    await approveRequest(deps, caller('carol'), alices.id);

    // Act
    const forCarol = await listRequests(deps, caller('carol'), { pendingMyApproval: true }, page);
    const forBob = await listRequests(deps, caller('bob'), { pendingMyApproval: true }, page);

    // Assess
    expect(forCarol.items).toEqual([]);
    expect(ids(forBob.items)).toContain(alices.id);
  });

  it('shows pendingMyApproval to approvers only', async () => {
    const { deps } = await twoPending();

    expect((await listRequests(deps, caller('alice'), { pendingMyApproval: true }, page)).items).toEqual([]);
    expect((await listRequests(deps, caller('dave'), { pendingMyApproval: true }, page)).items).toEqual([]);
  });

  it('lists the caller’s own requests with mine', async () => {
    const { deps, alices } = await twoPending();

    expect(ids((await listRequests(deps, caller('alice'), { mine: true }, page)).items)).toEqual([alices.id]);
  });

  it('filters by status with visibility: admins see all, others their own or what they approve', async () => {
    const { deps, alices, carols } = await twoPending();
    const pending = { status: 'PENDING_APPROVAL' } as const;

    expect(ids((await listRequests(deps, caller('carol'), pending, page)).items)).toEqual(ids([alices, carols]));
    expect(ids((await listRequests(deps, caller('alice'), pending, page)).items)).toEqual([alices.id]);
    expect((await listRequests(deps, caller('dave'), pending, page)).items).toEqual([]);
    expect((await listRequests(deps, caller('alice'), { status: 'ACTIVE' }, page)).items).toEqual([]);
  });

  it('pages with a next token', async () => {
    // Prepare
    const deps = testDeps();
    for (let i = 0; i < 3; i++) await submit(deps, 'alice');

    // Act
    const first = await listRequests(deps, caller('alice'), { mine: true }, { limit: 2 });
    const second = await listRequests(deps, caller('alice'), { mine: true }, { limit: 2, nextToken: first.nextToken });

    // Assess
    expect(first.items).toHaveLength(2);
    expect(first.nextToken).toBeDefined();
    expect(second.items).toHaveLength(1);
    expect(second.nextToken).toBeUndefined();
    expect(new Set([...ids(first.items), ...ids(second.items)]).size).toBe(3);
  });

  it('refuses a page token it did not issue, naming nextToken', async () => {
    await expect(listRequests(testDeps(), caller('alice'), { mine: true }, { limit: 2, nextToken: 'garbage' })).rejects.toMatchObject({
      constructor: ValidationError,
      field: 'nextToken',
    });
  });
});

describe('listEntitlements', () => {
  it('lists what the caller may request and whether auto-approval applies now', () => {
    // Act
    const { items, catalogVersion } = listEntitlements(testDeps(), caller('alice'));

    // Assess
    expect(catalogVersion).toBe('test-catalog-v1');
    expect(items.map((i) => i.id)).toEqual(['prod-read', 'prod-admin', 'billing', 'break-glass']);
    expect(items.find((i) => i.id === 'prod-read')).toMatchObject({
      grantType: 'managed-policy',
      maxDuration: 'PT4H',
      autoApproval: { eligible: true, maxDuration: 'PT1H', hours: '08:00-20:00', timezone: 'Europe/Berlin' },
    });
    expect(items.find((i) => i.id === 'break-glass')).toMatchObject({ breakGlass: true, autoApproval: { eligible: false } });
    expect(items.find((i) => i.id === 'prod-admin')).toMatchObject({ requireTicket: '^OPS-\\d+$', autoApproval: null });
  });

  it('says auto-approval does not apply outside its hours', () => {
    const deps = testDeps();
    deps.time.set('2030-01-15T22:00:00.000Z');

    expect(listEntitlements(deps, caller('alice')).items[0]?.autoApproval?.eligible).toBe(false);
  });

  it('lists nothing for a caller eligible for nothing', () => {
    expect(listEntitlements(testDeps(), caller('dave')).items).toEqual([]);
  });
});
