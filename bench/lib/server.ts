import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { randomBytes } from 'node:crypto';
import { createAuthenticator } from '../../src/auth/authenticator';
import { freePort } from '../../src/db/free-port';

/** The project root: the server runs from there exactly as `npm start` would. */
export const PROJECT_ROOT = path.resolve(__dirname, '../..');

export type ServerProcess = {
  /** http://127.0.0.1:<port> */
  url: string;
  /** GraphQL endpoint (HTTP POST, and graphql-ws on the same path). */
  graphqlUrl: string;
  wsUrl: string;
  /** The server's own process (`node dist/main.js`): this pid IS the server. */
  pid: number;
  /** Environment the server was started with (the benchmark-relevant part). */
  env: Record<string, string>;
  /**
   * `Bearer <token>` for an admin, signed with the secret the server was started with: the bench calls the API as a
   * real client would, authenticated (an admin, as the rebuild stage asks for rebuildProjection).
   */
  authorization: string;
  /** Throws if the server has exited (a benchmark against a dead server measures nothing). */
  assertAlive(): void;
  /** SIGTERM, then waits for the graceful shutdown (SIGKILL after `timeoutMs`); resolves with the exit code. */
  stop(timeoutMs?: number): Promise<number | null>;
};

type Options = {
  databaseUrl: string;
  /** Extra environment for the server (e.g. DB_POOL_SIZE). */
  env?: Record<string, string>;
  /** Extra node options before the script (e.g. --cpu-prof). */
  nodeArgs?: string[];
  /** Each line the server prints (stdout and stderr). */
  onLine?: (line: string) => void;
  readyTimeoutMs?: number;
};

/** What the image runs (docs/operations.md): the compiled server, not the sources through a TypeScript loader. */
const SERVER_SCRIPT = 'dist/main.js';

/**
 * The Node.js flags the image's CMD gives the server (its heap's growth), read from the Dockerfile so that the
 * bench measures the server as it is deployed.
 */
function imageNodeFlags(): string[] {
  const dockerfile = readFileSync(path.join(PROJECT_ROOT, 'Dockerfile'), 'utf8');
  const cmd = dockerfile.split('\n').findLast((line) => line.startsWith('CMD ['));
  const args = cmd ? (JSON.parse(cmd.slice('CMD '.length)) as string[]) : [];
  if (args[0] !== 'node' || args.at(-1) !== SERVER_SCRIPT) {
    throw new Error(`the Dockerfile's CMD is not node … ${SERVER_SCRIPT}: ${cmd}`);
  }
  return args.slice(1, -1);
}

const BENCH_DATA_KEY = randomBytes(32).toString('base64');

/** Starts `node dist/main.js` as a child process on a free port and waits until /readyz answers 200. */
export async function startServer(options: Options): Promise<ServerProcess> {
  const port = await freePort();
  const secret = randomBytes(32).toString('base64url');
  const env: Record<string, string> = {
    DATABASE_URL: options.databaseUrl,
    PORT: String(port),
    HOST: '127.0.0.1',
    // As the image runs it (docs/operations.md), and as the peer stage runs PostGraphile.
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    AUTH_JWT_SECRET: secret,
    // Production refuses to start without a master key for personal data; every start of the run uses the same one,
    // or a restarted server could not read the keys the first one wrapped.
    DATA_KEY: BENCH_DATA_KEY,
    ...options.env,
  };
  const auth = await createAuthenticator({ mode: 'secret', secret }, '');
  const authorization = `Bearer ${await auth.mint!({ sub: 'bench', role: 'admin', expiresIn: '12h' })}`;
  if (!existsSync(path.join(PROJECT_ROOT, SERVER_SCRIPT))) {
    throw new Error(
      `${SERVER_SCRIPT} is missing: the bench measures the built server (npm run build; npm run bench builds first)`,
    );
  }
  const child = await startChild({
    script: SERVER_SCRIPT,
    port,
    env,
    nodeArgs: [...imageNodeFlags(), ...(options.nodeArgs ?? [])],
    onLine: options.onLine,
    ready: { path: '/readyz' },
    readyTimeoutMs: options.readyTimeoutMs,
  });
  return {
    ...child,
    graphqlUrl: `${child.url}/graphql`,
    wsUrl: `ws://127.0.0.1:${port}/graphql`,
    env,
    authorization,
  };
}

/** A program of this repository running in a child process of its own, listening on 127.0.0.1. */
export type ChildProcessServer = Pick<ServerProcess, 'url' | 'pid' | 'assertAlive' | 'stop'>;

/**
 * Starts `node <script>` (through tsx for a `.ts` one) from the project root with PORT set, and waits until `ready.path` answers
 * 200 to a request made with `ready.init` (a GET by default). The pid is the program itself.
 */
export async function startChild(options: {
  script: string;
  port: number;
  env: Record<string, string>;
  nodeArgs?: string[];
  onLine?: (line: string) => void;
  ready: { path: string; init?: RequestInit };
  readyTimeoutMs?: number;
}): Promise<ChildProcessServer> {
  // A TypeScript program of the bench (the peer) runs through tsx; the service runs compiled, as the image runs it.
  const loader = options.script.endsWith('.ts') ? ['--import', 'tsx'] : [];
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), ...loader, options.script], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, ...options.env, PORT: String(options.port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const recent: string[] = [];
  const onLine = (line: string) => {
    recent.push(line);
    if (recent.length > 40) recent.shift();
    options.onLine?.(line);
  };
  readline.createInterface({ input: child.stdout! }).on('line', onLine);
  readline.createInterface({ input: child.stderr! }).on('line', onLine);

  let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code, signal) => {
      exit = { code, signal };
      resolve(code);
    });
  });
  const describeExit = () =>
    `${options.script} exited (${exit?.signal ?? `code ${exit?.code}`})${recent.length ? `; its last output:\n${recent.join('\n')}` : ''}`;

  const url = `http://127.0.0.1:${options.port}`;
  try {
    await waitUntilReady(
      `${url}${options.ready.path}`,
      options.ready.init,
      () => exit !== undefined,
      options.readyTimeoutMs ?? 90_000,
    );
  } catch (error) {
    await kill(child, exited, 5000);
    throw new Error(exit && !isTimeout(error) ? describeExit() : `${(error as Error).message}\n${recent.join('\n')}`, {
      cause: error,
    });
  }

  let stopping: Promise<number | null> | undefined;
  return {
    url,
    pid: child.pid!,
    assertAlive() {
      if (exit) throw new Error(describeExit());
    },
    stop(timeoutMs = 20_000) {
      return (stopping ??= kill(child, exited, timeoutMs));
    },
  };
}

class ReadyTimeout extends Error {}
const isTimeout = (error: unknown) => error instanceof ReadyTimeout;

async function waitUntilReady(
  readyUrl: string,
  init: RequestInit | undefined,
  hasExited: () => boolean,
  timeoutMs: number,
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  let last = 'no answer yet';
  while (performance.now() < deadline) {
    if (hasExited()) throw new Error('exited');
    try {
      const response = await fetch(readyUrl, { ...init, signal: AbortSignal.timeout(2000) });
      const body = await response.text();
      if (response.status === 200) return;
      last = `HTTP ${response.status} ${body.slice(0, 200)}`;
    } catch (error) {
      last = (error as Error).message;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new ReadyTimeout(`${readyUrl} was not ready within ${timeoutMs / 1000} s (${last})`);
}

async function kill(child: ChildProcess, exited: Promise<number | null>, timeoutMs: number): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
  child.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs);
  });
  const outcome = await Promise.race([exited, timedOut]);
  clearTimeout(timer);
  if (outcome !== 'timeout') return outcome;
  child.kill('SIGKILL');
  await exited;
  throw new Error(`the process did not stop within ${timeoutMs / 1000} s of SIGTERM and was killed`);
}

export { freePort };
