/** Whether a browser `Origin` may use the API: CORS on HTTP and the Origin check on WebSocket upgrades alike. */
export type OriginPolicy = (origin: string) => boolean;

/** Apollo Sandbox, which the IDE links to: it calls the API from this origin. */
export const APOLLO_SANDBOX_ORIGIN = 'https://studio.apollographql.com';

// Any port: the dev servers of frontends (Vite, Next, …) pick their own.
const LOOPBACK = /^https?:\/\/(localhost|127\.0\.0\.1|\[::1\])(:\d{1,5})?$/;

/**
 * `configured` is CORS_ORIGINS split (config.corsOrigins): exact origins, or `*` for any. Undefined admits the
 * loopback origins and Apollo Sandbox: the default service listens on 127.0.0.1, and a page from any other site
 * open in a browser on the same machine must not be able to drive it.
 */
export function originPolicy(configured: readonly string[] | undefined): OriginPolicy {
  if (configured === undefined) return (origin) => LOOPBACK.test(origin) || origin === APOLLO_SANDBOX_ORIGIN;
  if (configured.includes('*')) return () => true;
  const allowed = new Set(configured.map(normalize));
  return (origin) => allowed.has(origin);
}

/** Browsers send an origin as scheme://host[:port], lower case, without a default port or a trailing slash. */
function normalize(origin: string): string {
  try {
    const url = new URL(origin);
    return url.origin === 'null' ? origin : url.origin;
  } catch {
    return origin;
  }
}
