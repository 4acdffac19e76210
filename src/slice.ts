import type { AccessRules } from './auth/access';
import type { CommandOptions } from './commands/handle-command';
import type { EventSchemas, EventStore } from './eventstore';
import type { Resolvers } from './generated/graphql';
import type { GraphQLContext } from './graphql-kit/context';
import type { Projector } from './projections/types';
import type { Reactor } from './reactions/types';
import type { Deadline } from './scheduling/types';
import type { LiveReadModel } from './subscriptions/read-model-feed';
import type { LiveRow } from './subscriptions/row-updates';

/** How `node(id:)` finds one of a slice's objects: scoped to the caller as the slice's own reads are. */
export type NodeLookup = {
  /** The GraphQL type of what it finds (a `type … implements Node` in schema.graphql). */
  typename: string;
  /** The object with this id, or null for an unknown id and for one the caller may not see alike. */
  load(context: GraphQLContext, id: string): Promise<object | null>;
};

/** What a slice's resolvers are built from: the event store and how commands run. */
export type SliceDeps = { store: EventStore; commands: CommandOptions };

/**
 * A vertical slice of the domain (an aggregate with its commands, projectors and API) as the app wires it: one
 * value per slice, listed once in src/slices.ts, read by the app, the projections CLI and the schema.
 */
export type Slice = {
  name: string;
  /** Its aggregate's type (a value of the schema's AggregateType) and every event type it appends (of EventType). */
  aggregateType: string;
  eventTypes: readonly string[];
  /**
   * The personal data in its events' payloads: for each event type that carries any, its fields that a person typed
   * or that identify one (names, emails, free-text reasons). What may be forgotten and what the bus must not carry.
   */
  personalFields: Readonly<Record<string, readonly string[]>>;
  /** The current schema version of each of its event types, and how older payloads are upcast to it. */
  events: EventSchemas;
  /** The projectors that keep this slice's query tables. */
  projectors: readonly Projector[];
  /** The rules that act on its events by sending commands (src/reactions): run beside the projectors. */
  reactors: readonly Reactor[];
  /** The commands its events schedule for later, each cancellable by a later event (src/scheduling). */
  deadlines: readonly Deadline[];
  /** Who may run each of its operations (its root fields): see src/auth/access.ts. */
  access: AccessRules;
  /** The slice's part of the GraphQL API (its commands are made here, so nothing else holds them). */
  resolvers(deps: SliceDeps): Resolvers;
  /** Its objects that `node(id:)` finds, in the order they are tried. */
  nodes: readonly NodeLookup[];
  /** Its query tables that subscriptions follow live (the read-model feed pushes their changed rows). */
  live: readonly LiveReadModel<LiveRow>[];
};
