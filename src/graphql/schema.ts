import fs from 'node:fs';
import path from 'node:path';
import { makeExecutableSchema } from '@graphql-tools/schema';
import type { GraphQLSchema } from 'graphql';
import type { Resolvers } from '../generated/graphql';
import { projectionResolvers } from '../projections/resolvers';
import { subscriptionResolvers } from '../subscriptions/resolvers';
import { eventResolvers } from './event-resolvers';
import { scalarResolvers } from './scalars';

export const SCHEMA_FILE = path.resolve(__dirname, '../../schema.graphql');

/**
 * schema.graphql with the shared resolvers and the slices' (none: the schema's shape alone, for tools that
 * only analyse documents against it).
 */
export function buildSchema(sliceResolvers: readonly Resolvers[] = []): GraphQLSchema {
  return makeExecutableSchema({
    typeDefs: fs.readFileSync(SCHEMA_FILE, 'utf8'),
    resolvers: [scalarResolvers, eventResolvers, projectionResolvers, subscriptionResolvers, ...sliceResolvers],
    resolverValidationOptions: { requireResolversToMatchSchema: 'error' },
  });
}
