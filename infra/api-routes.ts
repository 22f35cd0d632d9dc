import type { ApiRoute } from './constructs/api.js';

/**
 * The API's routes, declared once. A new route is a new entry here (and in the handler's router,
 * which test/infra checks against this list); a new `target` also needs its function in the stack.
 */
export const API_ROUTES: readonly ApiRoute[] = [
  { method: 'GET', path: '/health', target: 'access' },
  { method: 'GET', path: '/entitlements', target: 'access' },
  { method: 'POST', path: '/requests', target: 'access' },
  { method: 'GET', path: '/requests', target: 'access' },
  { method: 'GET', path: '/requests/{id}', target: 'access' },
  { method: 'POST', path: '/requests/{id}/approve', target: 'access' },
  { method: 'POST', path: '/requests/{id}/deny', target: 'access' },
  { method: 'POST', path: '/requests/{id}/cancel', target: 'access' },
  { method: 'POST', path: '/requests/{id}/revoke', target: 'access' },
  { method: 'GET', path: '/requests/{id}/audit', target: 'access' },
  { method: 'GET', path: '/anomalies', target: 'monitoring' },
  { method: 'GET', path: '/reviews/latest', target: 'monitoring' },
  { method: 'GET', path: '/reviews/{id}', target: 'monitoring' },
  { method: 'POST', path: '/reviews', target: 'monitoring' },
  { method: 'POST', path: '/offboarding', target: 'lifecycle' },
  { method: 'POST', path: '/kill-switch', target: 'lifecycle' },
];
