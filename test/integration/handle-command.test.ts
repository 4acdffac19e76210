import { randomUUID } from 'node:crypto';
import { handleCommand, type Command, type CommandOptions } from '../../src/commands/handle-command';
import { Lanes } from '../../src/commands/lanes';
import type { OrderEvent } from '../../src/orders/events';
import { customerAggregate } from '../../src/customers/commands';
import { orderAggregate } from '../../src/orders/commands';
import { decideOrder } from '../../src/orders/decide';
import type { OrderState } from '../../src/orders/state';
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

/** An order placed straight through the store (version 1), for commands to act on; `ownerId`: whose data it is. */
async function placeOrder(orderId = randomUUID(), ownerId?: string) {
  return f.store.append({
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
    ownerId,
  });
}

it('appends nothing for a decision with no events, and answers with the aggregate as it stands', async () => {
  const orderId = randomUUID();
  const placed = await placeOrder(orderId);
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

describe('lanes', () => {
  const addItem = (orderId: string, n: number, expectedVersion?: number): Parameters<typeof handleCommand>[1] => ({
    aggregate: orderAggregate,
    aggregateId: orderId,
    commandType: 'AddItem',
    input: { n },
    creates: false,
    expectedVersion,
    decide: (): OrderEvent[] => [
      { type: 'ItemAdded', data: { item: { productId: `p${n}`, quantity: 1, unitPrice: '1.00' } } },
    ],
    meta: {},
  });

  it('queues concurrent commands on one aggregate: none races, so none conflicts even without retries', async () => {
    const orderId = (await placeOrder()).events[0]!.aggregateId;
    const lanes = new Lanes();
    const outcomes = await Promise.allSettled(
      Array.from({ length: 30 }, (_, n) => handleCommand(f.store, addItem(orderId, n), { ...options, lanes })),
    );
    expect(outcomes.filter((o) => o.status === 'rejected')).toEqual([]);
    const versions = outcomes.map((o) => (o as PromiseFulfilledResult<{ version: number }>).value.version);
    expect(versions).toEqual(Array.from({ length: 30 }, (_, n) => n + 2));
    expect(lanes.size).toBe(0);
  });

  it('still answers CONCURRENCY_CONFLICT to a command whose expectedVersion a command queued before it moved on', async () => {
    const orderId = (await placeOrder()).events[0]!.aggregateId;
    const lanes = new Lanes();
    const [first, second] = await Promise.allSettled([
      handleCommand(f.store, addItem(orderId, 1, 1), { ...options, lanes }),
      handleCommand(f.store, addItem(orderId, 2, 1), { ...options, lanes }),
    ]);
    expect(first).toMatchObject({ status: 'fulfilled', value: { version: 2 } });
    expect(second).toMatchObject({ status: 'rejected', reason: { code: 'CONCURRENCY_CONFLICT', actualVersion: 2 } });
  });
});

describe('ownership, checked before the load and the lane', () => {
  const cancel = (orderId: string, owner?: string): Command<OrderState | null, OrderEvent> => ({
    aggregate: orderAggregate,
    aggregateId: orderId,
    commandType: 'CancelOrder',
    input: { orderId },
    creates: false,
    admits: owner === undefined ? undefined : (state) => state?.customerId === owner,
    decide: (): OrderEvent[] => [{ type: 'OrderCancelled', data: {} }],
    meta: { owner, userId: owner },
  });

  /** An order of customer `c`, with its owner recorded as the command side records it. */
  const ownedOrder = async () => (await placeOrder(randomUUID(), 'c')).events[0]!.aggregateId;

  it("refuses another customer's order as NOT_FOUND, like an unknown id, without entering its lane or loading it", async () => {
    const orderId = await ownedOrder();
    const lanes = new Lanes();
    const entered = jest.spyOn(lanes, 'run');
    const loads = jest.spyOn(f.store, 'loadStream');
    try {
      for (const id of [orderId, randomUUID()]) {
        await expect(handleCommand(f.store, cancel(id, 'someone-else'), { ...options, lanes })).rejects.toMatchObject({
          code: 'NOT_FOUND',
          message: `Order ${id} was not found`,
        });
      }
      expect(entered).not.toHaveBeenCalled();
      expect(loads).not.toHaveBeenCalled();
    } finally {
      loads.mockRestore();
    }
    const own = await handleCommand(f.store, cancel(orderId, 'c'), { ...options, lanes });
    expect(own).toMatchObject({ version: 2, state: { status: 'CANCELLED' } });
    expect(entered).toHaveBeenCalledTimes(1);
  });

  it('asks nothing of the log about owners for a caller without one (staff, internal commands)', async () => {
    const orderId = await ownedOrder();
    const checks = jest.spyOn(f.store, 'ownsStream');
    try {
      await expect(handleCommand(f.store, cancel(orderId), options)).resolves.toMatchObject({ version: 2 });
      expect(checks).not.toHaveBeenCalled();
    } finally {
      checks.mockRestore();
    }
  });
});

describe('decisions on other aggregates', () => {
  /** A customer registered straight through the store (version 1). */
  async function registered(): Promise<string> {
    const customerId = randomUUID();
    await f.store.append({
      aggregateId: customerId,
      aggregateType: 'Customer',
      expectedVersion: 'no-stream',
      events: [{ eventType: 'CustomerRegistered', payload: { name: 'Ada', email: 'ada@example.com' } }],
      metadata: { correlationId: 'x', causationId: 'x', userId: null },
    });
    return customerId;
  }

  const deactivate = (customerId: string) =>
    f.store.append({
      aggregateId: customerId,
      aggregateType: 'Customer',
      expectedVersion: 1,
      events: [{ eventType: 'CustomerDeactivated', payload: { reason: 'raced' } }],
      metadata: { correlationId: 'x', causationId: 'x', userId: null },
    });

  /** Places an order for the customer, which is deactivated between the first read of it and the append. */
  const placeRacingDeactivation = (customerId: string): Command<OrderState | null, OrderEvent> => {
    let reads = 0;
    return {
      aggregate: orderAggregate,
      aggregateId: randomUUID(),
      commandType: 'PlaceOrder',
      input: {},
      creates: true,
      decide: async (state, others) => {
        const customer = await others.load(customerAggregate, customerId);
        if (reads++ === 0) await deactivate(customerId);
        return decideOrder(
          {
            type: 'PlaceOrder',
            customerId,
            customer,
            items: [{ productId: 'p', quantity: 1, unitPrice: '1.00' }],
            currency: 'EUR',
          },
          state,
        );
      },
      meta: {},
    };
  };

  it('appends only if the other aggregate is still at the version read: the conflict names it', async () => {
    const customerId = await registered();
    const command = placeRacingDeactivation(customerId);
    await expect(handleCommand(f.store, command, options)).rejects.toMatchObject({
      code: 'CONCURRENCY_CONFLICT',
      aggregateId: customerId,
      expectedVersion: 1,
      actualVersion: 2,
    });
    expect(await f.store.readStream(command.aggregateId)).toEqual([]);
  });

  it('re-reads both and decides again after losing that race', async () => {
    const customerId = await registered();
    const command = placeRacingDeactivation(customerId);
    await expect(handleCommand(f.store, command, { ...options, retries: 1 })).rejects.toMatchObject({
      code: 'BUSINESS_RULE_VIOLATION',
      rule: 'CUSTOMER_INACTIVE',
    });
    expect(await f.store.readStream(command.aggregateId)).toEqual([]);
  });
});
