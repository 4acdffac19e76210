import DataLoader from 'dataloader';
import type { GraphQLContext } from '../graphql-kit/context';
import { loaderById } from '../graphql-kit/loaders';
import { readsShowWrites } from '../graphql-kit/read-your-writes';
import { decodeOrderEvent } from './events';
import { findOrdersByIds } from './read-model';

// Scoped to the caller: a customer's loads fetch only their own orders (another's loads as missing).
const make = (context: GraphQLContext) =>
  loaderById(async (ids) => {
    await readsShowWrites(context);
    return findOrdersByIds(context.services.reads, ids, context.owner);
  });

/** This operation's loader of order rows from the query table. */
export const orderLoader = (context: GraphQLContext) => context.perRequest(make);

/**
 * The currency of each order, for the amounts of its events (ItemAdded and OrderPaid carry none: every amount of an
 * order is in the currency its OrderPlaced fixed, which nothing changes). From the query table when the order is
 * there; from its stream's OrderPlaced when the projector has not reached it yet (an event a subscriber gets before
 * its order's row is written).
 */
export const orderCurrencyLoader = (context: GraphQLContext) => context.perRequest(makeCurrency);

const makeCurrency = (context: GraphQLContext) =>
  new DataLoader<string, string>(async (ids) => {
    const rows = await orderLoader(context).loadMany(ids);
    return Promise.all(
      ids.map(async (id, i) => {
        const row = rows[i];
        if (row && !(row instanceof Error)) return row.currency;
        const [first] = await context.services.store.readStream(id, { toVersion: 1, ownerId: context.owner });
        if (first === undefined) throw new Error(`Order ${id} has no events`);
        const placed = decodeOrderEvent(first);
        if (placed.type !== 'OrderPlaced') throw new Error(`Order ${id} does not start with OrderPlaced`);
        return placed.data.currency;
      }),
    );
  });
