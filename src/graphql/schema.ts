import fs from 'node:fs';
import path from 'node:path';
import { makeExecutableSchema } from '@graphql-tools/schema';
import { parse, type GraphQLSchema } from 'graphql';
import { withAccessRules, type AccessRules } from '../auth/access';
import type { Resolvers } from '../generated/graphql';
import { projectionAccess, projectionResolvers } from './projection-resolvers';
import { reactorAccess, reactorResolvers } from './reactor-resolvers';
import { schedulerAccess, schedulerResolvers } from './scheduler-resolvers';
import { relayAccess, relayResolvers } from './relay-resolvers';
import type { NodeLookup } from '../slice';
import { eventAccess, eventResolvers } from './event-resolvers';
import { enumValues, eventTypeMismatches, type SliceEvents } from './event-types';
import { nodeAccess, nodeResolvers } from './node';
import { scalarResolvers } from './scalars';
import { subscriptionAccess, subscriptionResolvers } from './subscription-resolvers';

export const SCHEMA_FILE = path.resolve(__dirname, '../../schema.graphql');

/**
 * A slice's part of the API, as the schema takes it: its resolvers, who may run them, its `node(id:)` lookups, and
 * the events it appends (which the schema must describe).
 */
export type SliceApi = SliceEvents & { resolvers: Resolvers; access: AccessRules; nodes: readonly NodeLookup[] };

/**
 * schema.graphql with the shared resolvers and the slices' (none: the schema's shape alone, for tools that
 * only analyse documents against it). With slices, every root field is checked against the shared access rules
 * and theirs, and one without a rule fails here; so does an event type a slice appends that the schema does not
 * describe (event-types.ts).
 */
export function buildSchema(slices?: readonly SliceApi[]): GraphQLSchema {
  const typeDefs = parse(fs.readFileSync(SCHEMA_FILE, 'utf8'));
  // The event types the API serves: every one a slice appends, as checked below. Events of other types (a newer
  // version's, during a rolling deploy) are left out of what the API reads from the log.
  const served = enumValues(typeDefs, 'EventType');
  const schema = makeExecutableSchema({
    typeDefs,
    resolvers: [
      scalarResolvers,
      eventResolvers(served),
      nodeResolvers(slices?.flatMap((slice) => slice.nodes) ?? [], served),
      projectionResolvers,
      relayResolvers,
      reactorResolvers,
      schedulerResolvers,
      subscriptionResolvers(served),
      ...(slices ?? []).map((slice) => slice.resolvers),
    ],
    resolverValidationOptions: { requireResolversToMatchSchema: 'error' },
  });
  if (!slices) return schema;
  const mismatches = eventTypeMismatches(schema, slices);
  if (mismatches.length > 0)
    throw new Error(`schema.graphql does not describe the slices' events: ${mismatches.join('; ')}`);
  return withAccessRules(
    schema,
    Object.assign(
      {},
      eventAccess,
      nodeAccess,
      projectionAccess,
      relayAccess,
      reactorAccess,
      schedulerAccess,
      subscriptionAccess,
      ...slices.map((slice) => slice.access),
    ),
  );
}
