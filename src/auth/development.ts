import fs from 'node:fs/promises';
import path from 'node:path';
import type { Authenticator } from './authenticator';

/** Tokens printed at start-up are meant to be pasted once and used for a while, across restarts. */
export const DEVELOPMENT_TOKEN_DAYS = 30;

const DEV_CUSTOMER_FILE = 'auth-dev-customer';

export type DevelopmentTokens = { admin: string; staff: string; customer: string; customerId: string };

export type DevelopmentTokenDeps = {
  authenticator: Authenticator;
  dataDir: string;
  /** Registers the development customer and returns its id. */
  registerCustomer(): Promise<string>;
  /** Whether the log has this customer (the file may outlive a database that was wiped or replaced). */
  customerExists(id: string): Promise<boolean>;
};

/**
 * Ready-to-use tokens for `npm start` without AUTH_*: an admin, a staff member and one customer. The customer is
 * registered once and its id kept under the data folder, so its token keeps meaning the same customer (and its
 * orders) from one start to the next.
 */
export async function developmentTokens(deps: DevelopmentTokenDeps): Promise<DevelopmentTokens> {
  const mint = deps.authenticator.mint?.bind(deps.authenticator);
  if (!mint) throw new Error('development tokens need a signing secret, and keys from a JWKS URL are not ours');
  const customerId = await developmentCustomer(deps);
  // A lower AUTH_MAX_TOKEN_LIFETIME shortens them: the pages' admin token must be one the server accepts.
  const lifetimeS = Math.min(DEVELOPMENT_TOKEN_DAYS * 24 * 3600, deps.authenticator.maxTokenLifetimeS);
  const expiresIn = `${lifetimeS}s`;
  const [admin, staff, customer] = await Promise.all([
    mint({ sub: 'dev-admin', role: 'admin', expiresIn }),
    mint({ sub: 'dev-staff', role: 'staff', expiresIn }),
    mint({ sub: 'dev-customer', role: 'customer', customerId, expiresIn }),
  ]);
  return { admin, staff, customer, customerId };
}

async function developmentCustomer(deps: DevelopmentTokenDeps): Promise<string> {
  const file = path.join(deps.dataDir, DEV_CUSTOMER_FILE);
  const kept = await readId(file);
  if (kept !== undefined && (await deps.customerExists(kept))) return kept;
  const id = await deps.registerCustomer();
  await fs.mkdir(deps.dataDir, { recursive: true });
  if (kept !== undefined) {
    await fs.writeFile(file, id);
    return id;
  }
  // `wx`: of two instances starting together on one data folder, both keep the id written first (the other customer
  // stays, unused).
  try {
    await fs.writeFile(file, id, { flag: 'wx' });
    return id;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return (await readId(file)) ?? id;
  }
}

async function readId(file: string): Promise<string | undefined> {
  try {
    const id = (await fs.readFile(file, 'utf8')).trim();
    return id.length > 0 ? id : undefined;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/**
 * What `npm start` prints under its address lines: the tokens, every way a newcomer may send one, and the pages'
 * URLs with the page key that has them send the admin token.
 */
export function formatDevelopmentTokens(tokens: DevelopmentTokens, url: string, pageKey: string): string {
  const endpoint = `${url}/graphql`;
  const key = `?key=${encodeURIComponent(pageKey)}`;
  return `Development tokens, for trying the API out; not for production. They are signed with a key this server made
in its data folder, since neither AUTH_JWT_SECRET nor AUTH_JWKS_URL is set (NODE_ENV=production refuses to start
without one of them). Valid ${DEVELOPMENT_TOKEN_DAYS} days (or AUTH_MAX_TOKEN_LIFETIME if shorter), across restarts.

  admin     ${tokens.admin}
  staff     ${tokens.staff}
  customer  ${tokens.customer}
            (customer id ${tokens.customerId})

Send one as the header  authorization: Bearer <token>
  curl:
    curl ${endpoint} -H 'content-type: application/json' \\
      -H "authorization: Bearer ${tokens.customer}" \\
      -d '{"query":"{ orders(first: 5) { nodes { id status totalAmount } } }"}'
  GraphiQL: open ${endpoint}${key} in a browser on this machine: it sends the admin token already
    (edit its Headers pane to act as someone else). So does the live page at ${url}/${key}
    (a new key at every start; without it the pages send no token, and you paste one)
  Apollo Sandbox: its Headers tab, header authorization, value Bearer <token>
  graphql-ws and Apollo Client's GraphQLWsLink: connectionParams { authorization: 'Bearer <token>' }
  More tokens: npm run -s token -- --role customer --customer <customer id>   (or --role staff, --role admin)`;
}
