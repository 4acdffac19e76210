import { EVERYONE, type AccessRules } from '../auth/access';
import type { StoredEvent } from '../eventstore';
import type { Resolvers } from '../generated/graphql';
import { decodeCursor } from '../graphql-kit/cursor';
import { toStoreFilter } from './event-resolvers';
import { readsShowWrites } from '../graphql-kit/read-your-writes';
import { EventFeed } from '../subscriptions/event-feed';

// Scoped to context.owner for a customer: their own events. (The slices' live read models are theirs.)
export const subscriptionAccess: AccessRules = { 'Subscription.events': EVERYONE };

/** The log's live events, of the event types the API serves (`served`). */
export const subscriptionResolvers = (served: readonly string[]): Resolvers => ({
  Subscription: {
    events: {
      subscribe: async (_parent, { filter, after }, context) => {
        const { services, owner } = context;
        const from = after ? decodeCursor(after) : undefined;
        // "From now on" starts after what this instance has already answered: a client that subscribes after its
        // mutation does not get that mutation's event as news (read-your-writes, as for a read of the log).
        if (from === undefined) await readsShowWrites(context);
        return new EventFeed(services.store, services.tailer, toStoreFilter(filter, owner, served), from);
      },
      resolve: (event: StoredEvent) => event,
    },
  },
});
