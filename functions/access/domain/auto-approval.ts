import type { AutoApproval, Catalog, Entitlement } from '../../catalog/schema.js';
import { parseDuration } from './duration.js';
import { inAnyGroup } from './roles.js';
import type { Caller } from './types.js';

export type AutoVerdict = { readonly approved: true; readonly rule: string } | { readonly approved: false; readonly why: string };

/** Minutes since midnight of `at` in `timeZone`. */
function minutesInZone(at: Date, timeZone: string): number {
  const parts = new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).formatToParts(at);
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value ?? 0);
  return get('hour') * 60 + get('minute');
}

/** "08:00-20:00" → is `at` inside, in the rule's zone? Windows may wrap midnight ("22:00-06:00"). */
export function withinHours(hours: string, timeZone: string, at: Date): boolean {
  const [from, to] = hours.split('-').map((hm) => {
    const [h, m] = hm.split(':').map(Number);
    return h! * 60 + m!;
  }) as [number, number];
  const now = minutesInZone(at, timeZone);
  return from <= to ? now >= from && now < to : now >= from || now < to;
}

/** Break-glass access is never auto-approved, whatever the rule says. */
export function evaluateAutoApproval(
  catalog: Catalog,
  entitlement: Entitlement,
  caller: Caller,
  durationSeconds: number,
  at: Date,
): AutoVerdict {
  const rule: AutoApproval | undefined = entitlement.approval.auto;
  if (!rule) return { approved: false, why: 'no auto-approval rule' };
  if (entitlement.breakGlass) return { approved: false, why: 'break-glass access always needs approvers' };
  if (!inAnyGroup(catalog, rule.groups, caller)) return { approved: false, why: `caller is not in ${rule.groups.join(', ')}` };
  const max = parseDuration(rule.maxDuration) ?? 0;
  if (durationSeconds > max) return { approved: false, why: `duration exceeds the auto-approval limit ${rule.maxDuration}` };
  if (rule.hours && !withinHours(rule.hours, rule.timezone, at)) {
    return { approved: false, why: `outside auto-approval hours ${rule.hours} ${rule.timezone}` };
  }
  return {
    approved: true,
    rule: `member of ${rule.groups.join('|')}, duration ≤ ${rule.maxDuration}${rule.hours ? `, ${rule.hours} ${rule.timezone}` : ''}`,
  };
}
