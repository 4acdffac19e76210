import { ADMIN, STAFF, type AccessRules } from '../auth/access';
import type { Resolvers } from '../generated/graphql';
import { NotFound } from '../shared/errors';

export const relayAccess: AccessRules = { 'Query.relays': STAFF, 'Mutation.restartRelay': ADMIN };

export const relayResolvers: Resolvers = {
  Query: {
    relays: async (_parent, _args, { services }) => (services.relay ? [await services.relay.report()] : []),
  },
  Mutation: {
    async restartRelay(_parent, { from }, { services }) {
      if (!services.relay) throw new NotFound('Relay', 'bus');
      await services.relay.restartFrom(from);
      return services.relay.report();
    },
  },
  Relay: {
    runsHere: (relay) => relay.leader,
  },
};
