import { STAFF, type AccessRules } from '../auth/access';
import type { Resolvers } from '../generated/graphql';

export const reactorAccess: AccessRules = { 'Query.reactors': STAFF };

export const reactorResolvers: Resolvers = {
  Query: {
    reactors: (_parent, _args, { services }) => services.reactors.report(),
  },
  Reactor: {
    runsHere: (reactor) => reactor.leader,
  },
};
