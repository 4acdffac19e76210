import type { GraphQLClient } from './graphql';
import { randomUUID } from 'node:crypto';

/** The item the bench's n-th command adds: a few products, quantities 1-3, one price. */
export const item = (n: number) => ({ productId: `sku-${n % 97}`, quantity: 1 + (n % 3), unitPrice: '19.99' });

export type RawAppend = { aggregateId: string; first: boolean; payload: string; metadata: string };

/**
 * What a raw baseline appends in place of the service's placeOrder/addItem pairs: a new stream whose first event
 * has an OrderPlaced-sized payload, then a second event on it with an ItemAdded-sized one, over and over, with
 * metadata of the service's shape. One sequence per client, so each client alternates on its own streams.
 */
export function rawAppendSequence(streamPrefix: string, userId: string | null): (n: number) => RawAppend {
  let streamId: string | undefined;
  return (n) => {
    const first = streamId === undefined;
    const aggregateId = streamId ?? `${streamPrefix}-${randomUUID()}`;
    streamId = first ? aggregateId : undefined;
    const correlationId = randomUUID();
    const payload = first ? { customerId: randomUUID(), items: [item(n)], totalAmount: '19.99' } : { item: item(n) };
    return {
      aggregateId,
      first,
      payload: JSON.stringify(payload),
      metadata: JSON.stringify({ correlationId, causationId: correlationId, userId }),
    };
  };
}

const REGISTER = `mutation Register($input: RegisterCustomerInput!) {
  registerCustomer(input: $input) { aggregateId }
}`;

/** Registers `count` customers through the API, one after another (`label` tells the runs' customers apart). */
export async function registerCustomers(gql: GraphQLClient, count: number, label: string): Promise<string[]> {
  const customers: string[] = [];
  for (let i = 0; i < count; i++) {
    const data = await gql<{ registerCustomer: { aggregateId: string } }>(REGISTER, {
      input: { name: `${label} Customer ${i}`, email: `${label.toLowerCase().replace(/ /g, '-')}-${i}@example.com` },
    });
    customers.push(data.registerCustomer.aggregateId);
  }
  return customers;
}
