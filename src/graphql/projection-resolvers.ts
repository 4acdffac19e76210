import { ADMIN, STAFF, type AccessRules } from '../auth/access';
import type { Resolvers } from '../generated/graphql';
import type { GraphQLContext } from '../graphql-kit/context';
import { NotFound } from '../shared/errors';

async function reportOf(context: GraphQLContext, name: string) {
  const report = (await context.services.projections.report()).find((r) => r.name === name);
  if (!report) throw new NotFound('Projection', name);
  return report;
}

function known(context: GraphQLContext, name: string): void {
  if (!context.services.projections.projectorNames.includes(name)) throw new NotFound('Projection', name);
}

export const projectionAccess: AccessRules = {
  'Query.projections': STAFF,
  'Mutation.rebuildProjection': ADMIN,
  'Mutation.retryProjection': ADMIN,
  'Mutation.retryParked': ADMIN,
  'Mutation.skipParked': ADMIN,
};

export const projectionResolvers: Resolvers = {
  Query: {
    projections: (_parent, _args, { services }) => services.projections.report(),
  },
  Mutation: {
    async rebuildProjection(_parent, { name }, context) {
      known(context, name);
      await context.services.projections.rebuild(name);
      return reportOf(context, name);
    },
    async retryProjection(_parent, { name }, context) {
      known(context, name);
      await context.services.projections.retry(name);
      return reportOf(context, name);
    },
    async retryParked(_parent, { projection, eventId }, context) {
      known(context, projection);
      await context.services.projections.resolveParked(projection, eventId, 'retry');
      return reportOf(context, projection);
    },
    async skipParked(_parent, { projection, eventId }, context) {
      known(context, projection);
      await context.services.projections.resolveParked(projection, eventId, 'skip');
      return reportOf(context, projection);
    },
  },
  Projection: {
    checkpoint: (p) => p.position,
    failedEventId: (p) => p.failedEventId,
    rebuildEvents: (p) => (p.rebuildEvents === null ? null : Number(p.rebuildEvents)),
    runsHere: (p) => p.leader,
    parked: (p, _args, { services }) => services.projections.parked(p.name),
  },
};
