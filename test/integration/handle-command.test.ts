import { randomUUID } from 'node:crypto';
import { handleCommand, type CommandOptions } from '../../src/commands/handle-command';
import type { OrderEvent } from '../../src/orders/events';
import { orderAggregate } from '../../src/orders/commands';
import { DEFAULT_INPUT_LIMITS } from '../../src/shared/input-limits';
import { openStore, type StoreFixture } from '../support/event-store';

let f: StoreFixture;
beforeAll(async () => {
  f = await openStore();
});
afterAll(() => f.close());

const options: CommandOptions = {
  retries: 0,
  snapshotEvery: 0,
  limits: DEFAULT_INPUT_LIMITS,
  defaultCurrency: 'EUR',
  logger: { warn: () => undefined },
};

it('appends nothing for a decision with no events, and answers with the aggregate as it stands', async () => {
  const orderId = randomUUID();
  const placed = await f.store.append({
    aggregateId: orderId,
    aggregateType: 'Order',
    expectedVersion: 'no-stream',
    events: [
      {
        eventType: 'OrderPlaced',
        payload: {
          customerId: 'c',
          items: [{ productId: 'p', quantity: 1, unitPrice: '1.00' }],
          totalAmount: '1.00',
          currency: 'EUR',
        },
      },
    ],
    metadata: { correlationId: 'x', causationId: 'x', userId: null },
  });
  const before = await f.pool.query('SELECT count(*)::int AS n FROM events');
  const outcome = await handleCommand(
    f.store,
    {
      aggregate: orderAggregate,
      aggregateId: orderId,
      commandType: 'Nothing',
      input: {},
      creates: false,
      decide: (): OrderEvent[] => [],
      meta: {},
    },
    options,
  );
  expect(outcome).toMatchObject({ aggregateId: orderId, version: 1, events: [], position: placed.position });
  expect(outcome.state).toMatchObject({ id: orderId, status: 'PLACED', version: 1 });
  expect((await f.pool.query('SELECT count(*)::int AS n FROM events')).rows).toEqual(before.rows);
});
