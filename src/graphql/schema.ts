import fs from 'node:fs';
import path from 'node:path';
import { makeExecutableSchema } from '@graphql-tools/schema';
import type { GraphQLSchema } from 'graphql';
import { withAccessRules, type AccessRules } from '../auth/access';
import type { Resolvers } from '../generated/graphql';
import { projectionAccess, projectionResolvers } from './projection-resolvers';
import { relayAccess, relayResolvers } from './relay-resolvers';
import type { NodeLookup } from '../slice';
import { eventAccess, eventResolvers } from './event-resolvers';
import { nodeAccess, nodeResolvers } from './node';
import { scalarResolvers } from './scalars';
import { subscriptionAccess, subscriptionResolvers } from './subscription-resolvers';

export const SCHEMA_FILE = path.resolve(__dirname, '../../schema.graphql');

/** A slice's part of the API, as the schema takes it: its resolvers, who may run them, its `node(id:)` lookups. */
export type SliceApi = { resolvers: Resolvers; access: AccessRules; nodes: readonly NodeLookup[] };

/**
 * schema.graphql with the shared resolvers and the slices' (none: the schema's shape alone, for tools that
 * only analyse documents against it). With slices, every root field is checked against the shared access rules
 * and theirs, and one without a rule fails here.
 */
export function buildSchema(slices?: readonly SliceApi[]): GraphQLSchema {
  const schema = makeExecutableSchema({
    typeDefs: fs.readFileSync(SCHEMA_FILE, 'utf8'),
    resolvers: [
      scalarResolvers,
      eventResolvers,
      nodeResolvers(slices?.flatMap((slice) => slice.nodes) ?? []),
      projectionResolvers,
      relayResolvers,
      subscriptionResolvers,
      ...(slices ?? []).map((slice) => slice.resolvers),
    ],
    resolverValidationOptions: { requireResolversToMatchSchema: 'error' },
  });
  if (!slices) return schema;
  return withAccessRules(
    schema,
    Object.assign(
      {},
      eventAccess,
      nodeAccess,
      projectionAccess,
      relayAccess,
      subscriptionAccess,
      ...slices.map((slice) => slice.access),
    ),
  );
}
