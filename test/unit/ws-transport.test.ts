import { EventEmitter } from 'node:events';
import { buildSchema } from 'graphql';
import pino from 'pino';
import type { WebSocketServer } from 'ws';
import { serveGraphqlWs } from '../../src/edge/graphql-ws-transport';

// The transport's own promises, over fakes of a `ws` server, socket and TCP socket (no network): frames a socket
// gets in one pass leave corked together, and a subscription waits for its client only while that client's
// buffer is full.

class FakeRaw extends EventEmitter {
  corks = 0;
  uncorks = 0;
  writableNeedDrain = false;
  cork() {
    this.corks++;
  }
  uncork() {
    this.uncorks++;
  }
}

class FakeSocket extends EventEmitter {
  readonly OPEN = 1;
  readonly CLOSING = 2;
  readyState = 1;
  protocol = 'graphql-transport-ws';
  sent: Record<string, unknown>[] = [];
  send(data: string) {
    this.sent.push(JSON.parse(data));
    this.emit('sent');
  }
  close() {
    this.readyState = 3;
    this.emit('close', 1000, Buffer.from(''));
  }
  ping() {}
  terminate() {}
  /** Resolves once `n` frames in all have been sent. */
  frames(n: number): Promise<Record<string, unknown>[]> {
    return new Promise((resolve) => {
      const check = () => {
        if (this.sent.length < n) return;
        this.off('sent', check);
        resolve(this.sent);
      };
      this.on('sent', check);
      check();
    });
  }
}

const schema = buildSchema('type Query { x: Int } type Subscription { counter: Int }');
const roots = {
  subscription: {
    counter: async function* () {
      for (let counter = 1; counter <= 3; counter++) yield { counter };
    },
  },
};

function connect() {
  const wss = Object.assign(new EventEmitter(), { options: {}, clients: new Set() }) as unknown as WebSocketServer;
  const server = serveGraphqlWs({ schema, roots }, wss, {
    keepAliveMs: 60_000,
    limits: {
      operationsPerSocket: 10,
      bytesPerSocket: 2 ** 20,
      operationsPerPrincipal: 1000,
      connectionsPerPrincipal: 0,
    },
    logger: pino({ level: 'silent' }),
  });
  const raw = new FakeRaw();
  const socket = new FakeSocket();
  wss.emit('connection', socket, { socket: raw });
  const message = (m: object) => socket.emit('message', Buffer.from(JSON.stringify(m)));
  return { server, raw, socket, message, close: () => socket.close() };
}

it('corks the frames of one pass of the event loop and uncorks them on the next tick', async () => {
  const { raw, socket, message, close } = connect();
  message({ type: 'connection_init' });
  await socket.frames(1);
  expect(raw.corks).toBe(1);
  expect(raw.uncorks).toBe(0);
  await new Promise((resolve) => process.nextTick(resolve));
  expect(raw.uncorks).toBe(1);
  close();
});

it('holds a subscription while its client’s buffer is full, and goes on at the drain', async () => {
  const { raw, socket, message, close } = connect();
  message({ type: 'connection_init' });
  await socket.frames(1);
  raw.writableNeedDrain = true;
  message({ id: '1', type: 'subscribe', payload: { query: 'subscription { counter }' } });
  await socket.frames(2);
  // The first event went out and filled the buffer: the next one waits for the drain, however long.
  await new Promise((resolve) => setImmediate(resolve));
  await new Promise((resolve) => setImmediate(resolve));
  expect(socket.sent).toHaveLength(2);
  raw.writableNeedDrain = false;
  raw.emit('drain');
  const frames = await socket.frames(5);
  expect(frames.slice(1).map((f) => f.type)).toEqual(['next', 'next', 'next', 'complete']);
  expect(frames.slice(1, 4).map((f) => (f.payload as { data: { counter: number } }).data.counter)).toEqual([1, 2, 3]);
  close();
});
