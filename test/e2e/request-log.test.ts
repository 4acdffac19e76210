import { createClient, type Client as WsClient } from 'graphql-ws';
import { randomUUID } from 'node:crypto';
import pino from 'pino';
import WebSocket from 'ws';
import { startOrderstream, type Orderstream } from '../../src/app';
import { loadConfig } from '../../src/config';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { eventually } from '../support/eventually';
import { TEST_JWT_SECRET } from '../support/server';

// Logs (docs/operations.md, "Logs"): one structured line per GraphQL request, over HTTP and graphql-ws, naming the operation, its
// outcome, its duration, the caller and the ids of the commands it ran. The server logs into this file's own
// stream, read back line by line.

type Line = Record<string, any>;

let db: TestDatabase;
let app: Orderstream;
const lines: Line[] = [];
let token: string;
let ws: WsClient | undefined;

beforeAll(async () => {
  db = await createTestDatabase();
  const config = loadConfig({ DATABASE_URL: db.url, PORT: '0', AUTH_JWT_SECRET: TEST_JWT_SECRET });
  const stream = { write: (line: string) => void lines.push(JSON.parse(line)) };
  app = await startOrderstream(config, pino({ level: 'info' }, stream));
  token = await app.services.auth.mint!({ sub: 'ada', role: 'admin', expiresIn: '1h' });
});
afterAll(async () => {
  await ws?.dispose();
  await app?.stop();
  await db?.drop();
});

async function post(query: string, variables?: Record<string, unknown>, authorization = `Bearer ${token}`) {
  const res = await fetch(`${app.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization },
    body: JSON.stringify({ query, variables }),
  });
  return (await res.json()) as { data?: any; errors?: { extensions: { code: string } }[] };
}

/** The request lines written since `from`. */
const requests = (from: number) => lines.slice(from).filter((l) => l.msg === 'graphql request');

it("logs a mutation over HTTP with its name, outcome, duration, caller and its command's ids", async () => {
  const from = lines.length;
  const commandId = randomUUID();
  const res = await post(
    `mutation Register($input: RegisterCustomerInput!) { registerCustomer(input: $input) { aggregateId } }`,
    { input: { name: 'Ada', email: 'ada@example.com', commandId, correlationId: 'signup-42' } },
  );
  expect(res.errors).toBeUndefined();
  const [line] = requests(from);
  expect(line).toMatchObject({
    level: 30,
    transport: 'http',
    operationType: 'mutation',
    operationName: 'Register',
    rootFields: ['registerCustomer'],
    outcome: 'ok',
    userId: 'ada',
    correlationId: 'signup-42',
    causationId: commandId,
    commandId,
  });
  expect(line!.durationMs).toEqual(expect.any(Number));
  // Tracing is off: no trace ids.
  expect(line!.traceId).toBeUndefined();
});

it('logs the code a refused operation ended with, and a token refused before any operation ran', async () => {
  const from = lines.length;
  const refused = await post('mutation { payOrder(input: { orderId: "no-such-order" }) { version } }');
  expect(refused.errors?.[0]?.extensions.code).toBe('NOT_FOUND');
  await post('{ orderStatusCounts { status } }', undefined, 'Bearer not-a-token');
  const [mutation, unauthenticated] = requests(from);
  expect(mutation).toMatchObject({ transport: 'http', rootFields: ['payOrder'], outcome: 'NOT_FOUND' });
  expect(mutation!.operationName).toBeUndefined();
  expect(unauthenticated).toMatchObject({ transport: 'http', outcome: 'UNAUTHENTICATED' });
});

it('logs a graphql-ws subscription when it starts delivering and when it ends, with the messages it sent', async () => {
  const from = lines.length;
  ws = createClient({
    url: `${app.url.replace(/^http/, 'ws')}/graphql`,
    webSocketImpl: WebSocket,
    connectionParams: { authorization: `Bearer ${token}` },
    retryAttempts: 0,
  });
  const received: unknown[] = [];
  const unsubscribe = ws.subscribe(
    { query: 'subscription Live { events { eventType } }' },
    { next: (value) => received.push(value), error: () => undefined, complete: () => undefined },
  );
  await eventually(async () => expect(lines.slice(from).some((l) => l.msg === 'subscription started')).toBe(true));
  await post('mutation { registerCustomer(input: { name: "Grace", email: "grace@example.com" }) { aggregateId } }');
  await eventually(async () => expect(received).toHaveLength(1));
  unsubscribe();
  const ended = await eventually(async () => {
    const line = lines.slice(from).find((l) => l.msg === 'subscription ended');
    expect(line).toBeDefined();
    return line!;
  });
  expect(ended).toMatchObject({
    transport: 'ws',
    operationType: 'subscription',
    operationName: 'Live',
    rootFields: ['events'],
    outcome: 'ok',
    messages: 1,
    userId: 'ada',
  });
  expect(ended.durationMs).toEqual(expect.any(Number));
});
