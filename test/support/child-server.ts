import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';
import { createAuthenticator } from '../../src/auth/authenticator';
import { TEST_JWT_SECRET, withoutCost, type GraphQLResponse } from './server';

export type ChildServer = {
  url: string;
  process: ChildProcess;
  /** The page key in the URLs it printed (development keys only; never settles for a server without them). */
  pageKey: Promise<string>;
  stop(signal?: NodeJS.Signals): Promise<void>;
};

const ROOT = path.resolve(__dirname, '../..');

/**
 * The real server as its own OS process (as `npm start` runs it), on a free port and the given database. `env` adds
 * to or overrides its environment (PORT for a given port); a variable set to undefined is left out.
 */
export function startChildServer(
  databaseUrl: string,
  env: Record<string, string | undefined> = {},
): Promise<ChildServer> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: ROOT,
    env: {
      ...process.env,
      DATABASE_URL: databaseUrl,
      PORT: '0',
      LOG_LEVEL: 'info',
      AUTH_JWT_SECRET: TEST_JWT_SECRET,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let stderr = '';
  child.stderr!.on('data', (chunk) => (stderr += chunk));
  const lines = readline.createInterface({ input: child.stdout! });
  const pageKey = new Promise<string>((resolve) =>
    lines.on('line', (line) => {
      const key = /\?key=([\w-]+)/.exec(line);
      if (key) resolve(key[1]!);
    }),
  );
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start: ${stderr}`)), 60_000);
    child.once('exit', (code) => reject(new Error(`server exited with ${code}: ${stderr}`)));
    lines.on('line', (line) => {
      const match = /GraphQL API:\s+(http:\/\/[^/\s]+)\/graphql/.exec(line);
      if (!match) return;
      clearTimeout(timer);
      resolve({
        url: match[1]!,
        process: child,
        pageKey,
        async stop(signal = 'SIGTERM') {
          if (child.exitCode === null && child.signalCode === null) child.kill(signal);
          await exited;
        },
      });
    });
  });
}

/** An admin's token for a child server (signed with the secret every test server checks). */
export async function adminToken(): Promise<string> {
  const auth = await createAuthenticator({ mode: 'secret', secret: TEST_JWT_SECRET }, '');
  return auth.mint!({ sub: 'test-admin', role: 'admin', expiresIn: '1h' });
}

/** One operation POSTed as an admin, its response less its `extensions.cost` (as `server.gql` answers). */
export async function gqlAt(url: string, query: string, variables?: Record<string, unknown>): Promise<any> {
  const res = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${await adminToken()}` },
    body: JSON.stringify({ query, variables }),
  });
  return withoutCost((await res.json()) as GraphQLResponse);
}
