import type { Resolvers } from '../generated/graphql';
import { commandMeta as meta } from '../graphql/command-meta';
import type { GraphQLContext } from '../graphql/context';
import { readYourWrites } from '../graphql/read-your-writes';
import { orderPage } from '../orders/resolvers';
import type { CustomerResult } from './commands';

async function withReadModel(context: GraphQLContext, result: CustomerResult) {
  const customer = await readYourWrites(
    context,
    result,
    { name: 'Customer', load: () => context.loaders.customer.clear(result.aggregateId).load(result.aggregateId) },
    result.customer,
  );
  return { ...result, customer };
}

export const customerResolvers: Resolvers = {
  Query: {
    customer: (_parent, { id }, { loaders }) => loaders.customer.load(id),
  },
  Mutation: {
    registerCustomer: async (_parent, { input }, context) =>
      withReadModel(
        context,
        await context.services.customers.register({ name: input.name, email: input.email }, meta(input, context)),
      ),
    deactivateCustomer: async (_parent, { input }, context) =>
      withReadModel(
        context,
        await context.services.customers.deactivate(
          { customerId: input.customerId, reason: input.reason },
          input.expectedVersion,
          meta(input, context),
        ),
      ),
  },
  Customer: {
    // A customer folded from its stream (a mutation answered before projectors caught up) has no order figures:
    // take them from the query table, where the customer may already be.
    orderCount: async (customer, _args, { loaders }) =>
      customer.orderCount ?? (await loaders.customer.load(customer.id))?.orderCount ?? 0,
    lifetimeTotal: async (customer, _args, { loaders }) =>
      customer.lifetimeTotal ?? (await loaders.customer.load(customer.id))?.lifetimeTotal ?? '0.00',
    orders: (customer, { status, first, after }, context) =>
      orderPage(context, { customerId: customer.id, status }, first, after),
  },
};
