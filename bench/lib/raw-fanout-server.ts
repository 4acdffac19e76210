import type { Socket } from 'node:net';
import { Client } from 'pg';
import { WebSocketServer, type WebSocket } from 'ws';
import { EVENT_COLUMNS } from '../../src/eventstore/rows';
import { freePort } from './server';

/**
 * The fan-out stage's raw baseline: the least a WebSocket server can do to deliver the log to subscribers. It
 * LISTENs on a channel; on each notification it reads the new rows of a table by keyset (the event columns the
 * service reads, 1,000 a page) and writes every event to every subscriber as one `next` message of the graphql-ws
 * protocol, shaped exactly as the service's (`{"id":…,"type":"next","payload":{"data":{"events":{"position":…}}}}`).
 * It speaks just enough of graphql-transport-ws (connection_init → connection_ack, subscribe, complete, ping) for
 * the same graphql-ws client to subscribe to it, and does nothing else: no parsing or validating of the query, no
 * execution, no per-subscriber buffering or back-pressure; each socket gets a page's messages in one corked write.
 * It runs inside the benchmark process, which also appends the burst: it yields every 50 sockets so those appends
 * are not held up behind a broadcast. Appends to its table come from one connection, one
 * transaction after another, so a plain keyset read (without the service's gap-safe horizon) misses nothing.
 */
export type RawFanoutServer = {
  url: string;
  subscriberCount(): number;
  close(): Promise<void>;
};

export async function startRawFanoutServer(
  databaseUrl: string,
  table: string,
  channel: string,
): Promise<RawFanoutServer> {
  const port = await freePort();
  const wss = new WebSocketServer({
    host: '127.0.0.1',
    port,
    handleProtocols: (protocols) => (protocols.has('graphql-transport-ws') ? 'graphql-transport-ws' : false),
  });
  await new Promise<void>((resolve, reject) => {
    wss.once('listening', resolve);
    wss.once('error', reject);
  });
  const subscriptions = new Map<WebSocket, Set<string>>();
  const connections = new Map<WebSocket, Socket>();
  wss.on('connection', (socket, request) => {
    connections.set(socket, request.socket as Socket);
    socket.on('error', () => undefined);
    socket.on('message', (raw) => {
      let message: { type?: string; id?: string };
      try {
        message = JSON.parse(String(raw)) as typeof message;
      } catch {
        socket.close(4400, 'Invalid message received');
        return;
      }
      switch (message.type) {
        case 'connection_init':
          socket.send('{"type":"connection_ack"}');
          break;
        case 'ping':
          socket.send('{"type":"pong"}');
          break;
        case 'subscribe': {
          let ids = subscriptions.get(socket);
          if (!ids) subscriptions.set(socket, (ids = new Set()));
          ids.add(message.id!);
          break;
        }
        case 'complete':
          subscriptions.get(socket)?.delete(message.id!);
          break;
      }
    });
    socket.on('close', () => {
      subscriptions.delete(socket);
      connections.delete(socket);
    });
  });

  const db = new Client({ connectionString: databaseUrl });
  db.on('error', () => undefined);
  await db.connect();
  const { rows: head } = await db.query<{ p: string | null }>(`SELECT max(position)::text AS p FROM ${table}`);
  let last = head[0]?.p ?? '0';
  let reading: Promise<void> | undefined;
  let again = false;
  let closed = false;
  const read = async () => {
    do {
      again = false;
      for (;;) {
        const { rows } = await db.query<{ position: string }>({
          name: `raw-fanout-read-${table}`,
          text: `SELECT ${EVENT_COLUMNS} FROM ${table} WHERE position > $1 ORDER BY position LIMIT 1000`,
          values: [last],
        });
        // Per socket, the page's messages leave corked, in one write: the service batches the same way.
        let sockets = 0;
        for (const [socket, ids] of subscriptions) {
          const tcp = connections.get(socket);
          tcp?.cork();
          for (const row of rows) {
            for (const id of ids) {
              socket.send(
                `{"id":${JSON.stringify(id)},"type":"next","payload":{"data":{"events":{"position":"${row.position}"}}}}`,
              );
            }
          }
          tcp?.uncork();
          // Let the rest of this process (the benchmark appending the burst) have its turn now and then.
          if (++sockets % 50 === 0) await new Promise((resolve) => setImmediate(resolve));
        }
        if (rows.length > 0) last = rows[rows.length - 1]!.position;
        if (rows.length < 1000 || closed) break;
      }
    } while (again && !closed);
  };
  db.on('notification', () => {
    if (reading) {
      again = true;
      return;
    }
    reading = read().finally(() => {
      reading = undefined;
    });
  });
  await db.query(`LISTEN ${channel}`);

  return {
    url: `ws://127.0.0.1:${port}/graphql`,
    subscriberCount: () => [...subscriptions.values()].reduce((n, ids) => n + ids.size, 0),
    async close() {
      closed = true;
      await reading?.catch(() => undefined);
      for (const socket of wss.clients) socket.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      await db.end().catch(() => undefined);
    },
  };
}
