import type { GraphQLContext } from '../graphql-kit/context';
import { loaderById } from '../graphql-kit/loaders';
import { readsShowWrites } from '../graphql-kit/read-your-writes';
import { findCustomersByIds } from './read-model';

// Scoped to the caller: a customer loads only themselves (another customer loads as missing).
const make = (context: GraphQLContext) =>
  loaderById(async (ids) => {
    await readsShowWrites(context);
    return findCustomersByIds(context.services.reads, ids, context.owner);
  });

/** This operation's loader of customer rows from the query table. */
export const customerLoader = (context: GraphQLContext) => context.perRequest(make);
