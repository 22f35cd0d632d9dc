import { describe, expect, it } from 'vitest';
import { evaluateAutoApproval, withinHours } from '../../../functions/access/domain/auto-approval.js';
import { findEntitlement } from '../../../functions/access/domain/roles.js';
import { buildCatalog } from '../../helpers/catalog.js';
import { caller } from '../../helpers/requests.js';

const at = (iso: string) => new Date(iso);

describe('withinHours', () => {
  it('accepts a time inside a daytime window', () => {
    expect(withinHours('08:00-20:00', 'UTC', at('2030-01-15T12:00:00Z'))).toBe(true);
  });

  it('includes the start and excludes the end of the window', () => {
    expect(withinHours('08:00-20:00', 'UTC', at('2030-01-15T08:00:00Z'))).toBe(true);
    expect(withinHours('08:00-20:00', 'UTC', at('2030-01-15T19:59:00Z'))).toBe(true);
    expect(withinHours('08:00-20:00', 'UTC', at('2030-01-15T20:00:00Z'))).toBe(false);
    expect(withinHours('08:00-20:00', 'UTC', at('2030-01-15T07:59:00Z'))).toBe(false);
  });

  it('handles a window that wraps midnight', () => {
    expect(withinHours('22:00-06:00', 'UTC', at('2030-01-15T23:30:00Z'))).toBe(true);
    expect(withinHours('22:00-06:00', 'UTC', at('2030-01-15T00:00:00Z'))).toBe(true);
    expect(withinHours('22:00-06:00', 'UTC', at('2030-01-15T05:59:00Z'))).toBe(true);
    expect(withinHours('22:00-06:00', 'UTC', at('2030-01-15T06:00:00Z'))).toBe(false);
    expect(withinHours('22:00-06:00', 'UTC', at('2030-01-15T12:00:00Z'))).toBe(false);
  });

  it('reads the clock in the rule’s time zone', () => {
    // 07:30 UTC is 08:30 in Berlin (CET, winter) and 02:30 in New York.
    const instant = at('2030-01-15T07:30:00Z');

    expect(withinHours('08:00-20:00', 'Europe/Berlin', instant)).toBe(true);
    expect(withinHours('08:00-20:00', 'America/New_York', instant)).toBe(false);
    expect(withinHours('08:00-20:00', 'UTC', instant)).toBe(false);
  });

  it('follows daylight saving time', () => {
    // 06:30 UTC is 08:30 in Berlin in summer (CEST) but 07:30 in winter (CET).
    expect(withinHours('08:00-20:00', 'Europe/Berlin', at('2030-07-15T06:30:00Z'))).toBe(true);
    expect(withinHours('08:00-20:00', 'Europe/Berlin', at('2030-01-15T06:30:00Z'))).toBe(false);
  });

  it('wraps midnight in a zone ahead of UTC', () => {
    // 21:30 UTC on Jan 15 is 06:30 on Jan 16 in Tokyo.
    expect(withinHours('22:00-07:00', 'Asia/Tokyo', at('2030-01-15T21:30:00Z'))).toBe(true);
    expect(withinHours('22:00-07:00', 'Asia/Tokyo', at('2030-01-15T23:30:00Z'))).toBe(false);
  });

  it('treats 00:00-24:00 as all day', () => {
    expect(withinHours('00:00-24:00', 'UTC', at('2030-01-15T23:59:00Z'))).toBe(true);
    expect(withinHours('00:00-24:00', 'UTC', at('2030-01-15T00:00:00Z'))).toBe(true);
  });
});

describe('evaluateAutoApproval', () => {
  const catalog = buildCatalog();
  const prodRead = findEntitlement(catalog, 'prod-read')!;
  const officeHours = at('2030-01-15T10:00:00Z'); // 11:00 in Berlin

  it('approves a member of the rule’s groups within the limit and the hours', () => {
    // Act
    const verdict = evaluateAutoApproval(catalog, prodRead, caller('alice'), 1800, officeHours);

    // Assess
    expect(verdict).toEqual({ approved: true, rule: expect.stringContaining('oncall') });
  });

  it('approves exactly at the duration limit', () => {
    expect(evaluateAutoApproval(catalog, prodRead, caller('alice'), 3600, officeHours).approved).toBe(true);
  });

  it('refuses a duration over the auto-approval limit', () => {
    const verdict = evaluateAutoApproval(catalog, prodRead, caller('alice'), 3601, officeHours);

    expect(verdict).toEqual({ approved: false, why: expect.stringContaining('PT1H') });
  });

  it('refuses a caller outside the rule’s groups', () => {
    const verdict = evaluateAutoApproval(catalog, prodRead, caller('bob'), 1800, officeHours);

    expect(verdict).toEqual({ approved: false, why: expect.stringContaining('oncall') });
  });

  it('refuses outside the hours in the rule’s time zone', () => {
    // 19:30 UTC is 20:30 in Berlin: outside 08:00-20:00 there, although inside it in UTC.
    const verdict = evaluateAutoApproval(catalog, prodRead, caller('alice'), 1800, at('2030-01-15T19:30:00Z'));

    expect(verdict).toEqual({ approved: false, why: expect.stringContaining('Europe/Berlin') });
  });

  it('never auto-approves break-glass access, whatever the rule says', () => {
    const breakGlass = findEntitlement(catalog, 'break-glass')!;

    const verdict = evaluateAutoApproval(catalog, breakGlass, caller('alice'), 600, officeHours);

    expect(verdict).toEqual({ approved: false, why: expect.stringContaining('break-glass') });
  });

  it('says so when the entitlement has no rule', () => {
    const prodAdmin = findEntitlement(catalog, 'prod-admin')!;

    expect(evaluateAutoApproval(catalog, prodAdmin, caller('alice'), 600, officeHours)).toEqual({ approved: false, why: 'no auto-approval rule' });
  });
});
