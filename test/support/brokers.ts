import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../../src/db/free-port';

export const NATS_URL = process.env.ORDERSTREAM_TEST_NATS_URL ?? 'nats://127.0.0.1:4222';
export const AMQP_URL = process.env.ORDERSTREAM_TEST_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
export const NATS_SERVER_BIN = process.env.ORDERSTREAM_TEST_NATS_SERVER ?? '/usr/sbin/nats-server';

const DEFAULT_PORTS: Record<string, number> = { 'nats:': 4222, 'amqp:': 5672, 'amqps:': 5671 };

/**
 * Whether something accepts TCP connections at `url`'s host and port. Synchronous (a child process tries), because
 * Jest must know while it collects a file's tests whether a suite runs or is skipped.
 */
export function listening(url: string): boolean {
  const { hostname, port, protocol } = new URL(url);
  const probe = `require('net').connect(${Number(port) || DEFAULT_PORTS[protocol]}, ${JSON.stringify(hostname)})
    .on('connect', () => process.exit(0)).on('error', () => process.exit(1))`;
  return spawnSync(process.execPath, ['-e', probe], { timeout: 5_000 }).status === 0;
}

/**
 * `describe` when `available`, else `describe.skip` with a warning that names what is missing. Under CI (`CI` set)
 * a missing broker fails the file instead: a green CI run must have run these tests.
 */
export function describeIfAvailable(available: boolean, what: string): jest.Describe {
  if (available) return describe;
  const message = `${what} is not available: its tests are skipped`;
  if (process.env.CI) throw new Error(`${message}, which CI does not allow (CI is set)`);
  console.warn(message);
  return describe.skip;
}

export const natsAvailable = () => listening(NATS_URL);
export const amqpAvailable = () => listening(AMQP_URL);
export const natsServerAvailable = () => fs.existsSync(NATS_SERVER_BIN);

/** Resolves once something accepts connections on the port (a process that just started needs a moment). */
async function accepting(port: number, gaveUp: () => string | undefined): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const up = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1');
      socket.on('error', () => resolve(false));
      socket.on('connect', () => {
        socket.destroy();
        resolve(true);
      });
    });
    if (up) return;
    const why = gaveUp();
    if (why) throw new Error(why);
    if (Date.now() > deadline) throw new Error(`nothing listens on port ${port} after 10 s`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * A nats-server (JetStream on) of the test's own, on a free port with a store directory that survives `stop()` and
 * `start()` again: the shared broker must never be stopped by a test.
 */
export class PrivateNatsServer {
  private child: ChildProcess | undefined;
  private output = '';

  private constructor(
    readonly port: number,
    readonly storeDir: string,
  ) {}

  static async create(): Promise<PrivateNatsServer> {
    const storeDir = await fsp.mkdtemp(path.join(os.tmpdir(), 'orderstream-nats-'));
    const server = new PrivateNatsServer(await freePort(), storeDir);
    await server.start();
    return server;
  }

  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    const args = ['-a', '127.0.0.1', '-p', String(this.port), '-js', '-sd', this.storeDir];
    const child = spawn(NATS_SERVER_BIN, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    this.child = child;
    // Read, so that a full pipe never blocks the server's logging; kept short for error messages.
    child.stderr!.on('data', (chunk: Buffer) => (this.output = (this.output + chunk.toString()).slice(-4_000)));
    const exited = () =>
      child.exitCode !== null || child.signalCode !== null ? `nats-server exited: ${this.output}` : undefined;
    await accepting(this.port, exited);
  }

  /** Stops the server (SIGKILL: a crash, nothing flushed on the way out) and resolves once it has exited. */
  async stop(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill(signal);
    await exited;
  }

  /** Freezes the server (SIGSTOP): connections stay open and nothing answers, as with a hung broker. */
  pause(): void {
    this.child?.kill('SIGSTOP');
  }

  resume(): void {
    this.child?.kill('SIGCONT');
  }

  async dispose(): Promise<void> {
    await this.stop();
    await fsp.rm(this.storeDir, { recursive: true, force: true });
  }
}

/**
 * A TCP relay from a local port to `target` that fails like a network or a broker can, while the broker itself
 * (which other tests share) keeps running: `cut()` drops every connection through it at once; `freeze()` holds
 * everything sent either way (a hung broker: connections stay open, nothing answers) until `thaw()`.
 */
export class TcpCutter {
  private readonly sockets = new Set<net.Socket>();
  private readonly server = net.createServer((client) => this.relay(client));
  private held: (() => void)[] | undefined;

  private constructor(private readonly target: { host: string; port: number }) {}

  static async create(target: { host: string; port: number }): Promise<TcpCutter> {
    const cutter = new TcpCutter(target);
    await new Promise<void>((resolve) => cutter.server.listen(0, '127.0.0.1', resolve));
    return cutter;
  }

  get port(): number {
    return (this.server.address() as net.AddressInfo).port;
  }

  cut(): void {
    for (const socket of this.sockets) socket.destroy();
  }

  freeze(): void {
    this.held ??= [];
  }

  thaw(): void {
    const held = this.held ?? [];
    this.held = undefined;
    for (const send of held) send();
  }

  async close(): Promise<void> {
    this.thaw();
    this.cut();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private relay(client: net.Socket): void {
    const upstream = net.connect(this.target.port, this.target.host);
    const forward = (from: net.Socket, to: net.Socket) =>
      from.on('data', (chunk) => {
        const send = () => to.write(chunk);
        if (this.held) this.held.push(send);
        else send();
      });
    forward(client, upstream);
    forward(upstream, client);
    for (const socket of [client, upstream]) {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket)).on('error', () => undefined);
    }
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  }
}
