/**
 * The `route` label of an HTTP request: one of the paths this server serves, `/ide/*` and `/live/*` for the pages'
 * assets, or `other` for whatever else a client asks (404s included), so that no client can add a label value.
 * Compared in place, without splitting the URL: it runs for every request.
 */
const ROUTES = ['/graphql', '/healthz', '/readyz', '/metrics', '/live', '/', '/favicon.ico'] as const;

export type Route = (typeof ROUTES)[number] | '/ide/*' | '/live/*' | 'other';

export function routeOf(url: string | undefined): Route {
  if (url === undefined) return 'other';
  const query = url.indexOf('?');
  const end = query === -1 ? url.length : query;
  for (const route of ROUTES) {
    if (end === route.length && url.startsWith(route)) return route;
  }
  if (url.startsWith('/ide/')) return '/ide/*';
  if (url.startsWith('/live/')) return '/live/*';
  return 'other';
}

const METHODS = new Set(['GET', 'POST', 'HEAD', 'OPTIONS']);

/** The `method` label: the methods this server answers, `other` for the rest. */
export function methodOf(method: string | undefined): string {
  return method !== undefined && METHODS.has(method) ? method : 'other';
}
