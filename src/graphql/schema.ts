import fs from 'node:fs';
import path from 'node:path';
import { makeExecutableSchema } from '@graphql-tools/schema';
import type { GraphQLSchema } from 'graphql';
import { withAccessRules, type AccessRules } from '../auth/access';
import type { Resolvers } from '../generated/graphql';
import { projectionAccess, projectionResolvers } from '../projections/resolvers';
import { relayAccess, relayResolvers } from '../relay/resolvers';
import { subscriptionAccess, subscriptionResolvers } from '../graphql/subscription-resolvers';
import { eventAccess, eventResolvers } from './event-resolvers';
import { nodeAccess, nodeResolvers } from './node';
import { scalarResolvers } from './scalars';

export const SCHEMA_FILE = path.resolve(__dirname, '../../schema.graphql');

/**
 * schema.graphql with the shared resolvers and the slices' (none: the schema's shape alone, for tools that
 * only analyse documents against it). With the slices' access rules, every root field is checked against the
 * shared rules and theirs, and one without a rule fails here.
 */
export function buildSchema(
  sliceResolvers: readonly Resolvers[] = [],
  sliceAccess?: readonly AccessRules[],
): GraphQLSchema {
  const schema = makeExecutableSchema({
    typeDefs: fs.readFileSync(SCHEMA_FILE, 'utf8'),
    resolvers: [
      scalarResolvers,
      eventResolvers,
      nodeResolvers,
      projectionResolvers,
      relayResolvers,
      subscriptionResolvers,
      ...sliceResolvers,
    ],
    resolverValidationOptions: { requireResolversToMatchSchema: 'error' },
  });
  if (!sliceAccess) return schema;
  return withAccessRules(
    schema,
    Object.assign({}, eventAccess, nodeAccess, projectionAccess, relayAccess, subscriptionAccess, ...sliceAccess),
  );
}
