import { randomUUID } from 'node:crypto';
import { eventually } from '../support/eventually';
import { startTestServer, wsRequest, type TestServer } from '../support/server';
import { collect } from '../support/subscriptions';

const METRICS_TOKEN = 'metrics-scrape-token-0123456789';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ METRICS_TOKEN });
});
afterAll(() => server.close());

type Sample = { name: string; labels: Record<string, string>; value: number };

/** Prometheus' text exposition format, as much of it as prom-client writes: comments, then `name{labels} value`. */
function parseExposition(text: string): Sample[] {
  return text
    .split('\n')
    .filter((line) => line.trim() !== '' && !line.startsWith('#'))
    .map((line) => {
      const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)(?: \d+)?$/.exec(line);
      if (!match) throw new Error(`not a sample line: ${line}`);
      const labels: Record<string, string> = {};
      for (const [, key, raw] of (match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) {
        labels[key!] = raw!.replace(/\\n/g, '\n').replace(/\\(["\\])/g, '$1');
      }
      return { name: match[1]!, labels, value: Number(match[3]) };
    });
}

async function scrape(authorization = `Bearer ${METRICS_TOKEN}`): Promise<Sample[]> {
  const res = await fetch(`${server.app.url}/metrics`, { headers: { authorization } });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
  return parseExposition(await res.text());
}

/** The value of the one sample with this name and (at least) these labels; undefined when there is none. */
function value(samples: Sample[], name: string, labels: Record<string, string> = {}): number | undefined {
  const found = samples.filter(
    (s) => s.name === name && Object.entries(labels).every(([key, v]) => s.labels[key] === v),
  );
  if (found.length > 1) throw new Error(`${found.length} samples of ${name} match ${JSON.stringify(labels)}`);
  return found[0]?.value;
}

const REGISTER = `mutation ($input: RegisterCustomerInput!) { registerCustomer(input: $input) { aggregateId } }`;
const PLACE = `mutation ($c: ID!) {
  placeOrder(input: { customerId: $c, items: [{ productId: "a", quantity: 1, unitPrice: "3.00" }] }) { aggregateId }
}`;
const PAY = `mutation ($o: ID!) { payOrder(input: { orderId: $o }) { version } }`;

it('counts commands by mutation and outcome, events by type, and reports every projector', async () => {
  const registered = await server.gql(REGISTER, { input: { name: 'Ada', email: 'ada@example.com' } });
  const customerId = registered.data!.registerCustomer.aggregateId;
  const orderId = (await server.gql(PLACE, { c: customerId })).data!.placeOrder.aggregateId;
  expect((await server.gql(PAY, { o: orderId })).errors).toBeUndefined();
  const missing = await server.gql(PAY, { o: randomUUID() });
  expect(missing.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
  // The same count over graphql-ws.
  const ws = await wsRequest(server.ws(), REGISTER, { input: { name: 'Grace', email: 'grace@example.com' } });
  expect(ws.errors).toBeUndefined();

  const samples = await eventually(async () => {
    const samples = await scrape();
    for (const projector of server.app.services.projections.projectorNames) {
      expect(value(samples, 'orderstream_projection_lag_events', { projector })).toBe(0);
    }
    return samples;
  });
  const commands = (mutation: string, outcome: string) =>
    value(samples, 'orderstream_commands_total', { mutation, outcome });
  expect(commands('registerCustomer', 'ok')).toBe(2);
  expect(commands('placeOrder', 'ok')).toBe(1);
  expect(commands('payOrder', 'ok')).toBe(1);
  expect(commands('payOrder', 'NOT_FOUND')).toBe(1);
  expect(
    value(samples, 'orderstream_command_duration_seconds_count', { mutation: 'payOrder', outcome: 'NOT_FOUND' }),
  ).toBe(1);
  expect(value(samples, 'orderstream_events_appended_total', { event_type: 'CustomerRegistered' })).toBe(2);
  expect(value(samples, 'orderstream_events_appended_total', { event_type: 'OrderPlaced' })).toBe(1);
  expect(value(samples, 'orderstream_events_appended_total', { event_type: 'OrderPaid' })).toBe(1);
  for (const projector of server.app.services.projections.projectorNames) {
    expect(value(samples, 'orderstream_projection_lag_seconds', { projector })).toBe(0);
    expect(value(samples, 'orderstream_projection_state', { projector, state: 'RUNNING' })).toBe(1);
    expect(value(samples, 'orderstream_projection_state', { projector, state: 'FAILED' })).toBe(0);
    expect(value(samples, 'orderstream_projection_batch_duration_seconds_count', { projector })).toBeGreaterThan(0);
  }
  expect(
    value(samples, 'orderstream_http_request_duration_seconds_count', {
      method: 'POST',
      route: '/graphql',
      status: '200',
    }),
  ).toBeGreaterThan(0);
  expect(value(samples, 'orderstream_db_pool_connections', { state: 'total' })).toBeGreaterThan(0);
  expect(value(samples, 'process_cpu_user_seconds_total')).toBeGreaterThan(0);
  expect(value(samples, 'nodejs_heap_size_used_bytes')).toBeGreaterThan(0);
  // No bus configured: the relay gauges are declared but carry no sample.
  expect(value(samples, 'orderstream_relay_lag_events')).toBeUndefined();
});

it('times a query, a mutation, a subscription and a refused query by type, root field and outcome, and counts the refusal by code', async () => {
  const before = await scrape();
  const query = `{ orders(first: 1) { totalCount } }`;
  expect((await server.gql(query)).errors).toBeUndefined();
  const customerId = (await server.gql(REGISTER, { input: { name: 'Ops', email: 'ops@example.com' } })).data!
    .registerCustomer.aggregateId;
  const orderId = (await server.gql(PLACE, { c: customerId })).data!.placeOrder.aggregateId;
  const sub = collect<any>(
    server.ws(),
    `subscription ($o: ID!) { orderChanged(orderId: $o) { id } }`,
    { o: orderId },
    (d) => d.orderChanged,
  );
  await sub.until(1);
  sub.stop();
  // More aliases than QUERY_MAX_ALIASES (20): refused before it runs.
  const aliased = `{ ${Array.from({ length: 21 }, (_, i) => `o${i}: orders(first: 1) { totalCount }`).join(' ')} }`;
  expect((await server.gql(aliased)).errors?.[0]?.extensions?.code).toBe('QUERY_TOO_COMPLEX');
  await fetch(`${server.app.url}/no/such/page?id=${randomUUID()}`);

  const after = await scrape();
  const added = (name: string, labels: Record<string, string>) =>
    (value(after, name, labels) ?? 0) - (value(before, name, labels) ?? 0);
  const operations = (type: string, field: string, outcome: string) =>
    added('orderstream_graphql_operation_duration_seconds_count', { type, field, outcome });
  expect(operations('query', 'orders', 'ok')).toBe(1);
  expect(operations('mutation', 'registerCustomer', 'ok')).toBe(1);
  expect(operations('mutation', 'placeOrder', 'ok')).toBe(1);
  expect(operations('subscription', 'orderChanged', 'ok')).toBe(1);
  expect(operations('query', 'orders', 'QUERY_TOO_COMPLEX')).toBe(1);
  expect(added('orderstream_refusals_total', { code: 'QUERY_TOO_COMPLEX' })).toBe(1);
  // Refused before GraphQL, by the same counter.
  expect(added('orderstream_refusals_total', { code: 'NOT_FOUND' })).toBe(1);
  const requests = (labels: Record<string, string>) => added('orderstream_http_request_duration_seconds_count', labels);
  expect(requests({ method: 'POST', route: '/graphql', status: '200' })).toBe(3);
  expect(requests({ method: 'POST', route: '/graphql', status: '400' })).toBe(1);
  // A path of the client's own is no label value of its own.
  expect(requests({ method: 'GET', route: 'other', status: '404' })).toBe(1);
  expect(after.filter((s) => s.labels.route?.startsWith('/no/'))).toEqual([]);

  expect(value(after, 'orderstream_build_info', { version: '0.1.0', node_version: process.versions.node })).toBe(1);
  // Log positions pack a transaction id: no figure is one (a float64 holds them exactly only up to 2^53).
  expect(after.filter((s) => s.name.endsWith('_position'))).toEqual([]);
  expect(after.filter((s) => Math.abs(s.value) > Number.MAX_SAFE_INTEGER)).toEqual([]);
});

it('counts open subscriptions, their messages and WebSocket connections', async () => {
  const customerId = (await server.gql(REGISTER, { input: { name: 'Sub', email: 'sub@example.com' } })).data!
    .registerCustomer.aggregateId;
  const orderId = (await server.gql(PLACE, { c: customerId })).data!.placeOrder.aggregateId;
  const sub = collect<any>(
    server.ws(),
    `subscription ($o: ID!) { orderChanged(orderId: $o) { id version } }`,
    { o: orderId },
    (d) => d.orderChanged,
  );
  await sub.until(1);
  const open = await scrape();
  expect(value(open, 'orderstream_subscriptions_open', { kind: 'orderChanged' })).toBe(1);
  expect(value(open, 'orderstream_subscription_messages_total', { kind: 'orderChanged' })).toBeGreaterThanOrEqual(1);
  expect(value(open, 'orderstream_websocket_connections')).toBeGreaterThanOrEqual(1);
  sub.stop();
  await eventually(async () => {
    expect(value(await scrape(), 'orderstream_subscriptions_open', { kind: 'orderChanged' })).toBe(0);
  });
});

it('serves metrics to the scrape token and admins only', async () => {
  const get = (authorization?: string) =>
    fetch(`${server.app.url}/metrics`, { headers: authorization ? { authorization } : {} });
  const anonymous = await get();
  expect(anonymous.status).toBe(401);
  expect(anonymous.headers.get('www-authenticate')).toBe('Bearer');
  expect(await anonymous.json()).toEqual({
    errors: [{ message: expect.any(String), extensions: { code: 'UNAUTHENTICATED' } }],
  });
  expect((await get('Bearer not-the-token-nor-a-jwt')).status).toBe(401);
  expect((await get(`Bearer ${METRICS_TOKEN}x`)).status).toBe(401);
  const staff = await get((await server.as({ role: 'staff' })).authorization);
  expect(staff.status).toBe(403);
  expect(await staff.json()).toMatchObject({ errors: [{ extensions: { code: 'FORBIDDEN' } }] });
  expect((await get((await server.as({ role: 'admin' })).authorization)).status).toBe(200);
  expect((await get(`Bearer ${METRICS_TOKEN}`)).status).toBe(200);
});
