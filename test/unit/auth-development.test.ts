import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createAuthenticator, type Authenticator } from '../../src/auth/authenticator';
import { HELP, lifetimeSeconds, parseTokenArgs, UsageError } from '../../src/auth/cli';
import { developmentTokens, formatDevelopmentTokens, type DevelopmentTokenDeps } from '../../src/auth/development';

let dataDir: string;
let authenticator: Authenticator;
beforeEach(async () => {
  dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'orderstream-auth-'));
  authenticator = await createAuthenticator({ mode: 'development' }, dataDir);
});
afterEach(() => fs.rm(dataDir, { recursive: true, force: true }));

/** A stand-in for the event store and registerCustomer: customers are ids in a set. */
function fakeCustomers(): DevelopmentTokenDeps & { customers: Set<string>; registered: string[] } {
  const customers = new Set<string>();
  const registered: string[] = [];
  return {
    authenticator,
    dataDir,
    customers,
    registered,
    async registerCustomer() {
      const id = `customer-${registered.length + 1}`;
      registered.push(id);
      customers.add(id);
      return id;
    },
    async customerExists(id) {
      return customers.has(id);
    },
  };
}

describe('developmentTokens', () => {
  it('mints an admin, a staff and a customer token that the development key verifies, each as its principal', async () => {
    const tokens = await developmentTokens(fakeCustomers());
    const verifier = await createAuthenticator({ mode: 'development' }, dataDir);
    expect(await verifier.verify(tokens.admin)).toMatchObject({ sub: 'dev-admin', role: 'admin', customerId: null });
    expect(await verifier.verify(tokens.staff)).toMatchObject({ sub: 'dev-staff', role: 'staff', customerId: null });
    expect(await verifier.verify(tokens.customer)).toMatchObject({
      sub: 'dev-customer',
      role: 'customer',
      customerId: tokens.customerId,
    });
    // Long-lived: pasted once from the start-up output, used for weeks.
    const { expiresAt } = await verifier.verify(tokens.admin);
    expect(expiresAt! - Date.now()).toBeGreaterThan(29 * 24 * 3600 * 1000);
  });

  it('registers the development customer once and keeps its id in the data folder across starts', async () => {
    const deps = fakeCustomers();
    const first = await developmentTokens(deps);
    const second = await developmentTokens(deps);
    expect(deps.registered).toEqual([first.customerId]);
    expect(second.customerId).toBe(first.customerId);
    expect((await fs.readFile(path.join(dataDir, 'auth-dev-customer'), 'utf8')).trim()).toBe(first.customerId);
  });

  it('registers the customer again when the kept id names one the log does not have (a wiped database)', async () => {
    const deps = fakeCustomers();
    const first = await developmentTokens(deps);
    deps.customers.clear();
    const second = await developmentTokens(deps);
    expect(deps.registered).toHaveLength(2);
    expect(second.customerId).not.toBe(first.customerId);
    expect((await authenticator.verify(second.customer)).customerId).toBe(second.customerId);
    // And keeps the new one.
    await developmentTokens(deps);
    expect(deps.registered).toHaveLength(2);
  });

  it('cannot mint with keys from a JWKS URL', async () => {
    const jwks = await createAuthenticator({ mode: 'jwks', jwksUrl: 'https://idp.example/jwks' }, dataDir);
    await expect(developmentTokens({ ...fakeCustomers(), authenticator: jwks })).rejects.toThrow(/signing secret/);
  });
});

describe('formatDevelopmentTokens', () => {
  it('prints the three tokens and how to send them, and says they are for development only', () => {
    const text = formatDevelopmentTokens(
      { admin: 'AAA.admin', staff: 'SSS.staff', customer: 'CCC.customer', customerId: 'cust-1' },
      'http://127.0.0.1:4000',
      'the-page-key',
    );
    for (const token of ['AAA.admin', 'SSS.staff', 'CCC.customer', 'cust-1']) expect(text).toContain(token);
    expect(text).toContain('-H "authorization: Bearer CCC.customer"');
    expect(text).toContain('http://127.0.0.1:4000/graphql');
    expect(text).toMatch(/Development tokens/);
    expect(text).toMatch(/NODE_ENV=production/);
    expect(text).toMatch(/AUTH_JWT_SECRET/);
    expect(text).toMatch(/AUTH_JWKS_URL/);
    expect(text).toMatch(/Sandbox/);
    expect(text).toContain('npm run -s token -- --role customer --customer');
  });

  it('prints the pages’ URLs with the page key', () => {
    const text = formatDevelopmentTokens(
      { admin: 'AAA.admin', staff: 'SSS.staff', customer: 'CCC.customer', customerId: 'cust-1' },
      'http://127.0.0.1:4000',
      'the-page-key',
    );
    expect(text).toContain('open http://127.0.0.1:4000/graphql?key=the-page-key in a browser');
    expect(text).toContain('the live page at http://127.0.0.1:4000/?key=the-page-key');
  });
});

describe('npm run token: parseTokenArgs', () => {
  it('reads a customer token request, with a default sub and lifetime', () => {
    expect(parseTokenArgs(['--role', 'customer', '--customer', 'c-1'])).toEqual({
      sub: 'dev-customer-c-1',
      role: 'customer',
      customerId: 'c-1',
      expiresIn: '30d',
    });
  });

  it('takes --sub and --expires, and staff and admin tokens without a customer', () => {
    expect(parseTokenArgs(['--role', 'admin', '--sub', 'ada', '--expires', '2h'])).toEqual({
      sub: 'ada',
      role: 'admin',
      expiresIn: '2h',
    });
    expect(parseTokenArgs(['--role=staff'])).toEqual({ sub: 'dev-staff', role: 'staff', expiresIn: '30d' });
  });

  it('answers --help, or nothing at all, with the usage', () => {
    expect(parseTokenArgs([])).toBe(HELP);
    expect(parseTokenArgs(['--help'])).toBe(HELP);
  });

  it.each([
    [['--role', 'root'], /--role must be one of customer, staff, admin/],
    [['--customer', 'c-1'], /--role is required/],
    [['--role', 'customer'], /needs --customer/],
    [['--role', 'customer', '--customer', ''], /needs --customer/],
    [['--role', 'staff', '--customer', 'c-1'], /--customer is for customer tokens only/],
    [['--role', 'admin', '--customer', 'c-1'], /--customer is for customer tokens only/],
    [['--role', 'admin', '--expires', 'soon'], /--expires/],
    [['--role', 'admin', '--expires', '-1d'], /--expires/],
    [['--role', 'admin', '--sub', ''], /--sub/],
    [['--role', 'customer', '--customer', 'x'.repeat(601)], /--customer/],
    [['--role', 'admin', '--bogus'], /bogus/],
    [['--role', 'admin', 'extra'], /extra/],
  ])('refuses %j with one line', (argv, message) => {
    expect(() => parseTokenArgs(argv)).toThrow(UsageError);
    expect(() => parseTokenArgs(argv)).toThrow(message);
  });

  it('reads --expires as jose does, to compare it with AUTH_MAX_TOKEN_LIFETIME', () => {
    expect(['45s', '10m', '2h', '30d', '2w', '1y'].map(lifetimeSeconds)).toEqual([
      45, 600, 7200, 2_592_000, 1_209_600, 31_557_600,
    ]);
  });

  it('makes requests the development key signs into tokens the server accepts as asked', async () => {
    const request = parseTokenArgs(['--role', 'customer', '--customer', 'c-9', '--expires', '10m']);
    if (request === HELP) throw new Error('unexpected usage');
    const principal = await authenticator.verify(await authenticator.mint!(request));
    expect(principal).toMatchObject({ sub: 'dev-customer-c-9', role: 'customer', customerId: 'c-9' });
    expect(principal.expiresAt! - Date.now()).toBeLessThanOrEqual(10 * 60 * 1000);
  });
});
