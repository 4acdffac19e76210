import { randomUUID } from 'node:crypto';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import type { EventStore } from '../../src/eventstore';
import { startTestServer, type TestServer } from '../support/server';
import { subscriptionStarts } from '../support/subscription-starts';
import { collect } from '../support/subscriptions';

let server: TestServer;
/** When the server has started a subscription: graphql-ws acknowledges none, so tests wait on this, not on sleeps. */
const starts = subscriptionStarts();
beforeAll(async () => {
  // A window smaller than the bursts below, so subscribers that fall behind are served from the log.
  server = await startTestServer(
    { SUBSCRIPTION_BUFFER: '200', SUBSCRIPTION_WINDOW: '1000' },
    { schema: starts.schema },
  );
});
afterAll(() => server.close());

const EVENTS = `subscription ($filter: EventFilter, $after: String) {
  events(filter: $filter, after: $after) { position cursor eventType aggregateId version }
}`;
type Ev = { position: string; cursor: string; eventType: string; aggregateId: string; version: number };

/**
 * Appends `total` single-event transactions tagged with a fresh correlation id from `writers` concurrent writers,
 * calling `appended` after each commit. They are deactivations of customers nobody registered: an event type the
 * API serves, which the customers projector reads and skips (no customer to change).
 */
async function burst(
  store: EventStore,
  tag: string,
  total: number,
  writers = 10,
  padding = '',
  appended: () => void = () => undefined,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: writers }, async () => {
      const id = randomUUID();
      for (let version = 0; next < total; version++) {
        next++;
        await store.append({
          aggregateId: id,
          aggregateType: 'Customer',
          expectedVersion: version === 0 ? 'no-stream' : version,
          events: [
            { eventType: 'CustomerDeactivated', payload: { reason: padding ? `${version} ${padding}` : `${version}` } },
          ],
          metadata: { correlationId: tag, causationId: tag, userId: null },
        });
        appended();
      }
    }),
  );
}

async function logPositions(tag: string): Promise<string[]> {
  const { rows } = await server.sql.query(
    `SELECT position::text AS p FROM events WHERE metadata ->> 'correlationId' = $1 ORDER BY events.position`,
    [tag],
  );
  return rows.map((r) => r.p);
}

describe('events subscription', () => {
  it('delivers live events, each with its cursor, starting at the head', async () => {
    await burst(server.app.services.store, 'Before', 5);
    const started = starts.count('events');
    const sub = collect<Ev>(server.ws(), EVENTS, { filter: { correlationId: 'Live' } }, (d) => d.events);
    await starts.until('events', started + 1);
    await burst(server.app.services.store, 'Live', 3, 1);
    const got = await sub.until(3);
    expect(got.map((e) => e.version)).toEqual([1, 2, 3]);
    expect(got.map((e) => e.position)).toEqual(await logPositions('Live'));
    for (const e of got) expect(typeof e.cursor).toBe('string');
    sub.stop();
  });

  it('resumes from a cursor after a disconnect, while 1,000 events are appended, with every event once and in order', async () => {
    const type = `Resume${Date.now()}`;
    const received: Ev[] = [];
    const appending = burst(server.app.services.store, type, 1000);
    let after: string | undefined;
    // Disconnect and reconnect (a new connection each time) every ~150 events until all 1,000 are in.
    while (received.length < 1000) {
      const client = server.ws();
      const sub = collect<Ev>(
        client,
        EVENTS,
        { filter: { correlationId: type }, after: after ?? '0' },
        (d) => d.events,
      );
      await sub.until(Math.min(150, 1000 - received.length), 60_000);
      await client.dispose();
      received.push(...sub.items);
      after = sub.items.at(-1)!.cursor;
    }
    await appending;
    const positions = received.map((e) => e.position);
    expect(new Set(positions).size).toBe(positions.length);
    expect(positions).toEqual(await logPositions(type));
  });

  it('joins catch-up and live feed without a gap or a duplicate at the seam, however the two overlap', async () => {
    const type = `Seam${Date.now()}`;
    let appended = 0;
    const progress = new Set<() => void>();
    const appending = burst(server.app.services.store, type, 1500, 16, '', () => {
      appended++;
      for (const check of [...progress]) check();
    });
    const untilAppended = (n: number) =>
      new Promise<void>((resolve) => {
        const check = () => {
          if (appended < n) return;
          progress.delete(check);
          resolve();
        };
        progress.add(check);
        check();
      });
    const subs = [];
    // Subscribe from the start of this type's events at many moments during the burst (every 125 commits, however
    // fast the machine): each one's catch-up ends wherever the log happens to be, and must meet the live feed
    // exactly.
    for (let i = 0; i < 12; i++) {
      await Promise.race([untilAppended(i * 125), appending]);
      subs.push(collect<Ev>(server.ws(), EVENTS, { filter: { correlationId: type }, after: '0' }, (d) => d.events));
    }
    await appending;
    // One more event, last in the log: each subscriber has received everything it ever will up to it once it has
    // this many events, so an event delivered twice or out of place shows as a difference, without waiting a while.
    await burst(server.app.services.store, type, 1, 1);
    const expected = await logPositions(type);
    for (const sub of subs) {
      await sub.until(expected.length, 60_000);
      expect(sub.items.map((e) => e.position)).toEqual(expected);
      sub.stop();
    }
  });

  it('delivers every event of a 2,000-event burst (twice the window) to each of 200 concurrent subscribers', async () => {
    const type = `Fan${Date.now()}`;
    // 200 callers, as a real fan-out has (one caller may hold only WS_MAX_CONNECTIONS_PER_PRINCIPAL sockets).
    const clients = await Promise.all(
      Array.from({ length: 200 }, async (_, i) => server.ws(await server.as({ role: 'staff', sub: `watcher-${i}` }))),
    );
    // From the head of the log as it is now: a subscription the server registers only once the burst has begun
    // (graphql-ws acknowledges no subscribe, and a busy machine may take seconds) still starts where it was asked to.
    const { rows } = await server.sql.query<{ head: string }>(
      'SELECT coalesce(max(position), 0)::text AS head FROM events',
    );
    const subs = clients.map((c) =>
      collect<string>(
        c,
        `subscription ($t: ID, $after: String) { events(filter: { correlationId: $t }, after: $after) { position } }`,
        { t: type, after: rows[0]!.head },
        (d) => d.events.position,
      ),
    );
    await burst(server.app.services.store, type, 2000, 20);
    const expected = await logPositions(type);
    expect(expected).toHaveLength(2000);
    for (const sub of subs) {
      await sub.until(2000, 240_000);
      expect(sub.items).toEqual(expected);
    }
    await Promise.all(clients.map((c) => c.dispose()));
    // 400,000 messages through 200 clients in this one process (graphql-js in its development mode, as Jest runs
    // it): about 40 s on a 2-core machine. The bench's fan-out stage measures 1,000 subscribers out of process.
  }, 300_000);

  it('a subscriber that stops reading misses nothing: once it reads again it catches up from the log', async () => {
    const type = `Slow${Date.now()}`;
    // 16 KiB payloads: the burst (32 MiB) is far more than the kernel's socket buffers absorb for a client that
    // does not read (~10 MB on loopback), so this subscriber is left behind the server's window (1,000 events)
    // and the events it missed can only come from the log.
    const query = `subscription { events(filter: { correlationId: "${type}" }) { position cursor payload } }`;
    // A raw protocol client whose socket stops reading once subscribed.
    const raw = new WebSocket(`${server.app.url.replace('http', 'ws')}/graphql`, 'graphql-transport-ws');
    const messages: any[] = [];
    let acknowledged: () => void;
    const ack = new Promise<void>((resolve) => (acknowledged = resolve));
    let allArrived: () => void;
    const arrived = new Promise<void>((resolve) => (allArrived = resolve));
    raw.on('message', (data) => {
      const message = JSON.parse(String(data));
      if (message.type === 'connection_ack') return acknowledged();
      messages.push(message);
      if (messages.length === 2000) allArrived();
    });
    await new Promise((r) => raw.once('open', r));
    raw.send(JSON.stringify({ type: 'connection_init', payload: await server.as({ role: 'admin' }) }));
    // The protocol: subscribe only once the server has acknowledged the connection (before it, the server closes
    // the socket with 4401), and burst only once the server has started the subscription (it starts at the head).
    await ack;
    const started = starts.count('events');
    raw.send(JSON.stringify({ id: 'slow', type: 'subscribe', payload: { query } }));
    await starts.until('events', started + 1);
    (raw as unknown as { _socket: { pause(): void; resume(): void } })._socket.pause();

    const fast = collect<string>(server.ws(), query, {}, (d) => d.events.position);
    await starts.until('events', started + 2);
    await burst(server.app.services.store, type, 2000, 10, 'x'.repeat(16 * 1024));
    await fast.until(2000, 60_000);
    const expected = await logPositions(type);
    expect(fast.items).toEqual(expected);

    (raw as unknown as { _socket: { resume(): void } })._socket.resume();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      arrived,
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`got ${messages.length} of 2000 messages`)), 60_000);
      }),
    ]).finally(() => clearTimeout(timer));
    expect(messages.every((m) => m.type === 'next' && m.id === 'slow' && !m.payload.errors)).toBe(true);
    expect(messages.map((m) => m.payload.data.events.position)).toEqual(expected);
    raw.close();
    fast.stop();
  }, 120_000);
});

describe('read-model subscriptions', () => {
  const REGISTER = `mutation { registerCustomer(input: { name: "Sub", email: "sub@example.com" }) { aggregateId } }`;
  const PLACE = `mutation ($c: ID!) { placeOrder(input: { customerId: $c, items: [{ productId: "a", quantity: 1, unitPrice: "3.00" }] }) { aggregateId } }`;

  /** Messages until one satisfies `done`; versions must only ever increase. */
  async function untilState(sub: { items: any[] }, done: (o: any) => boolean, timeoutMs = 15_000) {
    const deadline = Date.now() + timeoutMs;
    while (!sub.items.some(done)) {
      if (Date.now() > deadline) throw new Error(`never got there: ${JSON.stringify(sub.items)}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    const versions = sub.items.map((o) => o.version);
    expect(versions.every((v, i) => i === 0 || v > versions[i - 1])).toBe(true);
  }

  it("orderChanged sends the order as it stands, then its changes, each mutation's change included", async () => {
    const customerId = (await server.gql(REGISTER)).data!.registerCustomer.aggregateId;
    const orderId = (await server.gql(PLACE, { c: customerId })).data!.placeOrder.aggregateId;
    const sub = collect<any>(
      server.ws(),
      `subscription ($o: ID!) { orderChanged(orderId: $o) { id status version totalAmount } }`,
      { o: orderId },
      (d) => d.orderChanged,
    );
    expect(await sub.until(1)).toEqual([{ id: orderId, status: 'PLACED', version: 1, totalAmount: '3.00' }]);
    await server.gql(
      `mutation ($o: ID!) { addItem(input: { orderId: $o, item: { productId: "b", quantity: 2, unitPrice: "1.50" } }) { version } }`,
      { o: orderId },
    );
    await untilState(sub, (o) => o.version === 2);
    expect(sub.items.at(-1)).toEqual({ id: orderId, status: 'PLACED', version: 2, totalAmount: '6.00' });
    await server.gql(`mutation ($o: ID!) { payOrder(input: { orderId: $o }) { version } }`, { o: orderId });
    await untilState(sub, (o) => o.version === 3);
    expect(sub.items.at(-1)).toEqual({ id: orderId, status: 'PAID', version: 3, totalAmount: '6.00' });
    sub.stop();
  });

  it('ordersChanged sends the changes of the orders matching its filter, and only those', async () => {
    const customerId = (await server.gql(REGISTER)).data!.registerCustomer.aggregateId;
    const started = starts.count('ordersChanged');
    const sub = collect<any>(
      server.ws(),
      `subscription ($c: ID) { ordersChanged(filter: { customerId: $c }) { id status version } }`,
      { c: customerId },
      (d) => d.ordersChanged,
    );
    const paidOnly = collect<any>(
      server.ws(),
      `subscription { ordersChanged(filter: { status: PAID }) { id status version } }`,
      {},
      (d) => d.ordersChanged,
    );
    await starts.until('ordersChanged', started + 2);
    const other = (await server.gql(REGISTER)).data!.registerCustomer.aggregateId;
    await server.gql(PLACE, { c: other });
    const orderId = (await server.gql(PLACE, { c: customerId })).data!.placeOrder.aggregateId;
    await untilState(sub, (o) => o.version === 1);
    await server.gql(`mutation ($o: ID!) { payOrder(input: { orderId: $o }) { version } }`, { o: orderId });
    await untilState(sub, (o) => o.status === 'PAID');
    expect(sub.items).toEqual([
      { id: orderId, status: 'PLACED', version: 1 },
      { id: orderId, status: 'PAID', version: 2 },
    ]);
    await untilState(paidOnly, (o) => o.id === orderId);
    expect(paidOnly.items.filter((o) => o.id === orderId)).toEqual([{ id: orderId, status: 'PAID', version: 2 }]);
    expect(paidOnly.items.every((o) => o.status === 'PAID')).toBe(true);
    sub.stop();
    paidOnly.stop();
  });
});

describe('lifecycle', () => {
  it('closes subscriptions with 1001 when the server shuts down, so clients can reconnect elsewhere', async () => {
    const ownStarts = subscriptionStarts();
    const own = await startTestServer({}, { schema: ownStarts.schema });
    const closed: number[] = [];
    const client = createClient({
      url: `${own.app.url.replace('http', 'ws')}/graphql`,
      webSocketImpl: WebSocket,
      connectionParams: await own.as({ role: 'admin' }),
      retryAttempts: 0,
      on: { closed: (event) => closed.push((event as { code: number }).code) },
    });
    const sub = collect<Ev>(client, EVENTS, {}, (d) => d.events);
    await ownStarts.until('events', 1);
    await own.app.stop();
    await sub.done(10_000).catch(() => undefined);
    expect(closed).toContain(1001);
    await client.dispose();
    await own.db.drop();
  });
});
