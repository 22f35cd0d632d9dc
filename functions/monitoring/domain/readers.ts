import type { Catalog } from '../../catalog/schema.js';
import { isAdmin, isApprover } from '../../access/domain/roles.js';
import type { Caller } from '../../access/domain/types.js';

/** Anomalies and reviews name principals and policies account-wide: admins and approvers only. */
export function canReadMonitoring(catalog: Catalog, caller: Caller): boolean {
  return isAdmin(catalog, caller) || catalog.entitlements.some((e) => isApprover(catalog, e, caller));
}
