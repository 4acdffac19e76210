import type { Resolvers } from '../generated/graphql';
import { commandMeta as meta } from '../graphql/command-meta';

export const customerResolvers: Resolvers = {
  Mutation: {
    registerCustomer: (_parent, { input }, context) =>
      context.services.customers.register({ name: input.name, email: input.email }, meta(input, context)),
    deactivateCustomer: (_parent, { input }, context) =>
      context.services.customers.deactivate(
        { customerId: input.customerId, reason: input.reason },
        input.expectedVersion,
        meta(input, context),
      ),
  },
};
