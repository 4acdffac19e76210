import type { GraphQLContext } from '../graphql/context';
import { loaderById } from '../graphql/loaders';
import { findOrdersByIds } from './read-model';

const make = (context: GraphQLContext) => loaderById((ids) => findOrdersByIds(context.services.prisma, ids));

/** This operation's loader of order rows from the query table. */
export const orderLoader = (context: GraphQLContext) => context.perRequest(make);
