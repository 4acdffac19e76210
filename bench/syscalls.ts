/**
 * System calls per request, orderstream against the peer (PostGraphile 5), for the peer stage's four operations,
 * one client, sequential requests: `npm run build && npx tsx bench/syscalls.ts` (needs `strace`; `DATABASE_URL` or an embedded
 * PostgreSQL, as `npm run bench`). On these machines a socket write costs about 0.1 ms of CPU, so what a request
 * costs in system calls is much of what it costs; unlike a rate or a CPU time, a count does not move with what
 * else the machine is doing, so it can be compared on a busy machine and between runs. Writes include what the
 * server does after answering until it is idle again (orderstream's tailer and projectors).
 */
import { spawn } from 'node:child_process';
import readline from 'node:readline';
import { Client } from 'pg';
import { startDatabase } from './lib/database';
import { graphqlClient, type GraphQLClient } from './lib/graphql';
import { registerCustomers } from './lib/order-workload';
import { waitUntilIdle } from './lib/proc';
import { startServer } from './lib/server';
import { copyOrdersToPeer, OPERATIONS, startPeer } from './stages/peer';
import type { BenchContext } from './stages/types';

const REQUESTS = Number(process.env.REQUESTS ?? 300);
const WARMUP = 100;
const ORDERS = 300;

/** Counts the system calls of every thread of `pid` while `fn` runs: strace's summary, by call. */
async function counted(pid: number, fn: () => Promise<void>): Promise<Map<string, number>> {
  const tracer = spawn('strace', ['-f', '-c', '-p', String(pid)], { stdio: ['ignore', 'ignore', 'pipe'] });
  const lines: string[] = [];
  const attached = new Promise<void>((resolve, reject) => {
    tracer.once('error', reject);
    readline.createInterface({ input: tracer.stderr! }).on('line', (line) => {
      lines.push(line);
      // strace names each thread it attaches to; the main thread comes first.
      if (line.includes(`Process ${pid} attached`)) resolve();
    });
  });
  await attached;
  await fn();
  const exited = new Promise((resolve) => tracer.once('exit', resolve));
  tracer.kill('SIGINT');
  await exited;
  const counts = new Map<string, number>();
  for (const line of lines) {
    const fields = line.trim().split(/\s+/);
    // "% time  seconds  usecs/call  calls  [errors]  syscall"
    if (fields.length >= 5 && /^\d/.test(fields[0]!) && fields.at(-1) !== 'total') {
      counts.set(fields.at(-1)!, Number(fields[3]));
    }
  }
  return counts;
}

async function main() {
  const db = await startDatabase((message) => console.error(message));
  const server = await startServer({ databaseUrl: db.url, onLine: (line) => console.error('[server]', line) });
  let peer: Awaited<ReturnType<typeof startPeer>> | undefined;
  try {
    const orderstream = graphqlClient(server.graphqlUrl, { authorization: server.authorization });
    const customers = await registerCustomers(orderstream, 8, 'Syscalls');
    const write = OPERATIONS.find((o) => o.id === 'write')!;
    for (let n = 0; n < ORDERS; n++) await write.orderstream(orderstream, { ids: [], customers }, n);
    await waitUntilIdle(server.pid, { maxMs: 30_000, windowMs: 250 });
    const reader = new Client({ connectionString: db.url });
    await reader.connect();
    let ids: string[];
    try {
      ({ ids } = await copyOrdersToPeer(reader));
    } finally {
      await reader.end();
    }
    const context = { databaseUrl: db.url, progress: { passthrough: () => undefined } } as unknown as BenchContext;
    peer = await startPeer(context);
    const sides: { side: 'orderstream' | 'peer'; gql: GraphQLClient; pid: number }[] = [
      { side: 'orderstream', gql: orderstream, pid: server.pid },
      { side: 'peer', gql: graphqlClient(`${peer.url}/graphql`), pid: peer.pid },
    ];
    const data = { ids, customers };
    console.log(`system calls per request, ${REQUESTS} sequential requests of each (after ${WARMUP} to warm up)\n`);
    console.log('| operation | server | per request | the most frequent |');
    console.log('| --- | --- | ---: | --- |');
    for (const operation of OPERATIONS) {
      for (const { side, gql, pid } of sides) {
        for (let n = 0; n < WARMUP; n++) await operation[side](gql, data, n);
        await waitUntilIdle(pid, { maxMs: 30_000, windowMs: 250 });
        const counts = await counted(pid, async () => {
          for (let n = 0; n < REQUESTS; n++) await operation[side](gql, data, WARMUP + n);
          if (operation.id === 'write') await waitUntilIdle(pid, { maxMs: 30_000, windowMs: 250 });
        });
        const total = [...counts.values()].reduce((sum, count) => sum + count, 0);
        const top = [...counts]
          .sort((a, b) => b[1] - a[1])
          .slice(0, 4)
          .map(([call, count]) => `${call} ${(count / REQUESTS).toFixed(2)}`);
        console.log(`| ${operation.label} | ${side} | ${(total / REQUESTS).toFixed(1)} | ${top.join(', ')} |`);
      }
    }
  } finally {
    await peer?.stop();
    await server.stop();
    await db.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
