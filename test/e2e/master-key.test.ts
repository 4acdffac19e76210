import { ConfigError } from '../../src/config';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { startTestServer, TEST_DATA_KEY } from '../support/server';

// A server given the wrong DATA_KEY could read no sealed event: the tailer would retry the first one for ever while
// every projector, reactor and subscription waited behind it. It refuses to start instead, naming the key.

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
  const first = await startTestServer({}, { db: { ...db, drop: async () => undefined } });
  const res = await first.gql(
    `mutation { registerCustomer(input: { name: "Keyed", email: "keyed@example.com" }) { aggregateId } }`,
  );
  expect(res.errors).toBeUndefined();
  await first.close();
});
afterAll(() => db.drop());

const OTHER_KEY = Buffer.alloc(32, 9).toString('base64');

it('refuses to start with a DATA_KEY that did not wrap the data keys, naming the master key it needs', async () => {
  await expect(
    startTestServer({ DATA_KEY: OTHER_KEY }, { db: { ...db, drop: async () => undefined } }),
  ).rejects.toThrow(ConfigError);
  await expect(
    startTestServer({ DATA_KEY: OTHER_KEY }, { db: { ...db, drop: async () => undefined } }),
  ).rejects.toThrow(/wrapped by master key \w+, which is neither DATA_KEY nor in DATA_KEY_PREVIOUS/);
});

it('starts with the new key once the old one is in DATA_KEY_PREVIOUS, and reads what the old one sealed', async () => {
  const server = await startTestServer(
    { DATA_KEY: OTHER_KEY, DATA_KEY_PREVIOUS: TEST_DATA_KEY },
    { db: { ...db, drop: async () => undefined } },
  );
  try {
    const res = await server.gql(`{ customers(filter: { search: "Keyed" }) { nodes { name email } } }`);
    expect(res.data!.customers.nodes).toEqual([{ name: 'Keyed', email: 'keyed@example.com' }]);
    const events = await server.gql(`{ events(filter: { eventTypes: [CustomerRegistered] }) { nodes { payload } } }`);
    expect(events.data!.events.nodes).toEqual([{ payload: { name: 'Keyed', email: 'keyed@example.com' } }]);
  } finally {
    await server.close();
  }
});
