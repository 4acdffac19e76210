import type { GraphQLContext } from '../graphql/context';
import { loaderById } from '../graphql/loaders';
import { findCustomersByIds } from './read-model';

// Scoped to the caller: a customer loads only themselves (another customer loads as missing).
const make = (context: GraphQLContext) =>
  loaderById((ids) => findCustomersByIds(context.services.prisma, ids, context.owner));

/** This operation's loader of customer rows from the query table. */
export const customerLoader = (context: GraphQLContext) => context.perRequest(make);
