import type { GraphQLContext } from '../graphql-kit/context';
import { loaderById } from '../graphql-kit/loaders';
import { readsShowWrites } from '../graphql-kit/read-your-writes';
import { findOrdersByIds } from './read-model';

// Scoped to the caller: a customer's loads fetch only their own orders (another's loads as missing).
const make = (context: GraphQLContext) =>
  loaderById(async (ids) => {
    await readsShowWrites(context);
    return findOrdersByIds(context.services.reads, ids, context.owner);
  });

/** This operation's loader of order rows from the query table. */
export const orderLoader = (context: GraphQLContext) => context.perRequest(make);
