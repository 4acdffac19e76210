import type { GraphQLContext } from '../graphql/context';
import { loaderById } from '../graphql/loaders';
import { findCustomersByIds } from './read-model';

const make = (context: GraphQLContext) => loaderById((ids) => findCustomersByIds(context.services.prisma, ids));

/** This operation's loader of customer rows from the query table. */
export const customerLoader = (context: GraphQLContext) => context.perRequest(make);
