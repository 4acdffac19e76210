import fs from 'node:fs';
import path from 'node:path';
import { makeExecutableSchema } from '@graphql-tools/schema';
import type { GraphQLSchema } from 'graphql';
import { customerResolvers } from '../customers';
import { orderResolvers } from '../orders';
import { projectionResolvers } from '../projections/resolvers';
import { subscriptionResolvers } from '../subscriptions/resolvers';
import { eventResolvers } from './event-resolvers';
import { scalarResolvers } from './scalars';

export const SCHEMA_FILE = path.resolve(__dirname, '../../schema.graphql');

/** schema.graphql plus every slice's resolvers. */
export function buildSchema(): GraphQLSchema {
  return makeExecutableSchema({
    typeDefs: fs.readFileSync(SCHEMA_FILE, 'utf8'),
    resolvers: [
      scalarResolvers,
      eventResolvers,
      orderResolvers,
      customerResolvers,
      projectionResolvers,
      subscriptionResolvers,
    ],
    resolverValidationOptions: { requireResolversToMatchSchema: 'error' },
  });
}
