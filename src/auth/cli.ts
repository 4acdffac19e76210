import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../config';
import { createAuthenticator } from './authenticator';
import { DEVELOPMENT_TOKEN_DAYS } from './development';
import { claims, ROLES, type Role } from './principal';

const USAGE = `usage: npm run -s token -- --role <customer|staff|admin> [--customer <id>] [--sub <user>] [--expires 30d]
  Prints one token signed with AUTH_JWT_SECRET, or else with the development key under DATA_DIR.
  --customer  the Customer aggregate a customer token stands for (customers only, and required for them)
  --sub       the user, recorded as the events' metadata.userId (default: dev-<role>, dev-customer-<id>)
  --expires   a number and a unit: s, m, h, d, w or y (default ${DEVELOPMENT_TOKEN_DAYS}d)`;

export type TokenRequest = { sub: string; role: Role; customerId?: string; expiresIn: string };

/** Seconds in each `--expires` unit, as jose counts them (a year is 365.25 days). */
const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800, y: 31_557_600 };

/** How long a token asked for with `--expires` (already checked to be a number and a unit) lives, in seconds. */
export function lifetimeSeconds(expiresIn: string): number {
  return Number(expiresIn.slice(0, -1)) * UNIT_SECONDS[expiresIn.slice(-1)]!;
}

/** `--help` (or nothing at all) asks for the usage rather than a token. */
export const HELP = Symbol('help');

export class UsageError extends Error {}

/** The command line, checked as a whole before anything is read or signed: one line for the first thing wrong. */
export function parseTokenArgs(argv: readonly string[]): TokenRequest | typeof HELP {
  let values: { role?: string; customer?: string; sub?: string; expires?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        role: { type: 'string' },
        customer: { type: 'string' },
        sub: { type: 'string' },
        expires: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (values.help || argv.length === 0) return HELP;
  const role = values.role;
  if (role === undefined) throw new UsageError(`--role is required: one of ${ROLES.join(', ')}`);
  if (!(ROLES as readonly string[]).includes(role)) {
    throw new UsageError(`--role must be one of ${ROLES.join(', ')}, not "${role}"`);
  }
  const customerId = values.customer;
  if (role === 'customer' && !customerId) {
    throw new UsageError('a customer token needs --customer <customer id>, the id registerCustomer returned');
  }
  if (role !== 'customer' && customerId !== undefined) {
    throw new UsageError(`--customer is for customer tokens only, not ${role} ones`);
  }
  const expiresIn = values.expires ?? `${DEVELOPMENT_TOKEN_DAYS}d`;
  // A subset of what jose reads, so that a typo is refused here rather than signed as something unexpected.
  if (!/^[1-9]\d{0,5}[smhdwy]$/.test(expiresIn)) {
    throw new UsageError(`--expires must be a number and a unit (s, m, h, d, w or y), such as 30d, not "${expiresIn}"`);
  }
  const sub = values.sub ?? (role === 'customer' ? `dev-customer-${customerId}` : `dev-${role}`);
  // The same rules the server holds a token's claims to: a token this prints is one the server accepts.
  const checked = claims.safeParse({ sub, role, customer_id: customerId });
  if (!checked.success) {
    const { issues } = checked.error;
    const customer = issues.find((i) => i.path[0] === 'customer_id');
    if (customer) throw new UsageError(`--customer: ${customer.message}`);
    throw new UsageError(
      `--sub${values.sub === undefined ? ' (pass one: the default does not make a valid subject)' : ''}: ${issues[0]!.message}`,
    );
  }
  return { sub, role: role as Role, ...(customerId ? { customerId } : {}), expiresIn };
}

async function main(): Promise<void> {
  let request: TokenRequest | typeof HELP;
  try {
    request = parseTokenArgs(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`token: ${error.message} (npm run token -- --help)`);
    process.exit(2);
  }
  if (request === HELP) {
    console.log(USAGE);
    return;
  }
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(error.message);
    process.exit(2);
  }
  if (config.auth.mode === 'jwks') {
    console.error('token: AUTH_JWKS_URL is set, so tokens come from your identity provider: this service signs none');
    process.exit(2);
  }
  const authenticator = await createAuthenticator(config.auth, config.dataDir);
  // The server would refuse it: a token this prints is one the server accepts.
  if (lifetimeSeconds(request.expiresIn) > authenticator.maxTokenLifetimeS) {
    console.error(
      `token: --expires ${request.expiresIn} is longer than AUTH_MAX_TOKEN_LIFETIME (${authenticator.maxTokenLifetimeS} s): ` +
        'pass a shorter one',
    );
    process.exit(2);
  }
  // Alone on stdout, so that TOKEN=$(npm run -s token -- …) captures it.
  console.log(await authenticator.mint!(request));
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(`token: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  });
}
