import { randomUUID } from 'node:crypto';
import { Client, Pool } from 'pg';
import { createPrisma, type PrismaClient } from '../../src/db/prisma';
import { appendStatement } from '../../src/eventstore/append';
import { AppendQueue } from '../../src/eventstore/group-commit';
import type { AppendRequest } from '../../src/eventstore/types';
import { readLog, readLogStatement } from '../../src/eventstore/log-reader';
import { closedLoop, type LoadClient, type LoadResult } from '../lib/load';
import { rawAppendSequence } from '../lib/order-workload';
import { figure, type BenchContext, type Stage } from './types';

/**
 * What the event store's client costs: the service's own append, called in this process through Prisma
 * (`$queryRawUnsafe` on a pg pool, as the service runs it, concurrent appends grouped into one statement), and its
 * gap-safe log read (through `pg`, decoded into events as the service reads them), against the very same statements sent with `pg` directly as named prepared
 * statements, their rows left as `pg` parses them.
 * Same concurrency, same database, back to back; the server process plays no part, so neither does GraphQL.
 *
 * The appends live in their own id space (`store-<uuid>`, aggregate type `BenchStore`, event types no projector
 * reads); the reads page through the log from the start, 100 events a page, wrapping at its end.
 */

const PARAMETERS = {
  quick: { clients: 8, durationMs: 2_000, warmupMs: 1_000 },
  full: { clients: 8, durationMs: 10_000, warmupMs: 3_000 },
};
const PAGE = 100;

/** A new stream, then a second event on it, over and over: the appends the service's commands make. */
function appendRequests(): () => AppendRequest {
  const next = rawAppendSequence('store', null);
  let n = 0;
  return () => {
    const { aggregateId, first, payload, metadata } = next(++n);
    return {
      aggregateId,
      aggregateType: 'BenchStore',
      expectedVersion: 'any',
      events: [{ eventType: first ? 'BenchStorePlaced' : 'BenchStoreAdded', payload: JSON.parse(payload) }],
      metadata: JSON.parse(metadata),
    };
  };
}

type Side = { appender(): LoadClient; reader(): LoadClient; close(): Promise<void> };

function serviceSide(databaseUrl: string, clients: number): Side {
  const pool = new Pool({ connectionString: databaseUrl, max: clients });
  const prisma: PrismaClient = createPrisma(pool);
  // The service's appends go through its group commit; the wake-ups its statements would carry are left out, as
  // the baseline sends none.
  const queue = new AppendQueue(prisma, { send: () => ({ sent: () => undefined }), poke() {}, onWake: () => () => {} });
  return {
    appender() {
      const next = appendRequests();
      return {
        async op() {
          await queue.append(next());
          return 'append';
        },
      };
    },
    reader() {
      let after = 0n;
      return {
        async op() {
          const page = await readLog(pool, after, PAGE);
          after = page.events.length === PAGE ? page.scannedTo : 0n;
          return 'readLog';
        },
      };
    },
    async close() {
      await prisma.$disconnect();
      await pool.end();
    },
  };
}

/** The service's unfiltered log read, sent as one named prepared statement. */
const READ_SQL = readLogStatement(0n, PAGE).text;

async function rawSide(databaseUrl: string, clients: number): Promise<Side> {
  const connections = await Promise.all(
    Array.from({ length: clients * 2 }, async () => {
      const client = new Client({ connectionString: databaseUrl });
      client.on('error', () => undefined);
      await client.connect();
      return client;
    }),
  );
  let taken = 0;
  const connection = () => connections[taken++ % connections.length]!;
  return {
    appender() {
      const client = connection();
      const next = appendRequests();
      return {
        async op() {
          const request = next();
          const { text, values } = appendStatement(
            request,
            request.events.map(() => randomUUID()),
          );
          await client.query({ name: 'bench-store-append', text, values });
          return 'append';
        },
      };
    },
    reader() {
      const client = connection();
      let after = '0';
      return {
        async op() {
          const { rows } = await client.query<{ position: string | null }>({
            name: 'bench-store-read',
            text: READ_SQL,
            values: [after, PAGE],
          });
          const last = rows.at(-1)?.position;
          after = rows.length === PAGE && last ? last : '0';
          return 'readLog';
        },
      };
    },
    async close() {
      await Promise.all(connections.map((c) => c.end()));
    },
  };
}

export const storeClientStage: Stage = {
  name: 'store client',
  estimateSeconds(mode) {
    const p = PARAMETERS[mode];
    return (4 * (p.durationMs + p.warmupMs)) / 1000;
  },
  async run(context: BenchContext) {
    const { mode, databaseUrl, progress } = context;
    const p = PARAMETERS[mode];
    const service = serviceSide(databaseUrl, p.clients);
    const raw = await rawSide(databaseUrl, p.clients);
    const problems: string[] = [];
    const run = async (label: string, make: () => LoadClient, durationMs: number): Promise<LoadResult> => {
      const result = await closedLoop({
        clients: Array.from({ length: p.clients }, make),
        durationMs,
        serverPid: process.pid,
        databasePid: context.databasePid,
      });
      progress.done(`${label}: ${result.perSecond.toFixed(0)}/s, p50 ${result.latencyMs.p50.toFixed(2)} ms`);
      if (result.errors > 0) problems.push(`${label}: ${result.errors} errors (${Object.keys(result.errorSamples)})`);
      return result;
    };
    try {
      const measured: Record<string, LoadResult> = {};
      for (const [kind, make] of [
        ['append', (side: Side) => () => side.appender()],
        ['read', (side: Side) => () => side.reader()],
      ] as const) {
        await run(`warm-up ${kind} by the service's store`, make(service), p.warmupMs);
        await run(`warm-up ${kind} via pg`, make(raw), p.warmupMs);
        measured[`${kind}.service`] = await run(
          `${kind} by the service's store, ${p.clients} clients`,
          make(service),
          p.durationMs,
        );
        measured[`${kind}.pg`] = await run(`${kind} via pg, ${p.clients} clients`, make(raw), p.durationMs);
      }
      const rate = (key: string) => measured[key]!.perSecond;
      return {
        figures: [
          figure(
            'store',
            'append.prisma',
            `event store append via Prisma, ${p.clients} clients`,
            rate('append.service'),
            'appends/s',
            {
              label: 'same statement via pg',
              value: rate('append.pg'),
              unit: 'appends/s',
            },
          ),
          figure(
            'store',
            'read.service',
            `log read (${PAGE} events), the service's reader, ${p.clients} clients`,
            rate('read.service'),
            'pages/s',
            {
              label: 'same statement via pg, rows undecoded',
              value: rate('read.pg'),
              unit: 'pages/s',
            },
          ),
        ],
        details: measured,
        problems,
      };
    } finally {
      await service.close();
      await raw.close();
    }
  },
};
