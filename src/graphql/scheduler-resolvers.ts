import { STAFF, type AccessRules } from '../auth/access';
import type { Resolvers } from '../generated/graphql';
import { readsShowWrites } from '../graphql-kit/read-your-writes';
import { listScheduledCommands } from '../scheduling/scheduled-commands';
import { InvalidInput } from '../shared/errors';

export const schedulerAccess: AccessRules = { 'Query.scheduledCommands': STAFF };

/** The most rows one `scheduledCommands` answers: the list is bounded, not paged. */
const MOST = 500;

export const schedulerResolvers: Resolvers = {
  Query: {
    async scheduledCommands(_parent, { first }, context) {
      const limit = first ?? 50;
      if (!Number.isInteger(limit) || limit < 1 || limit > MOST) {
        throw new InvalidInput(`first must be from 1 to ${MOST}, got ${limit}`, 'first');
      }
      // A table its projector keeps: it shows this instance's writes once the projector has passed them.
      await readsShowWrites(context);
      return listScheduledCommands(context.services.reads, limit);
    },
  },
};
