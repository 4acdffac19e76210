import { mapSchema, MapperKind } from '@graphql-tools/utils';
import { defaultFieldResolver, type GraphQLFieldResolver, type GraphQLSchema } from 'graphql';
import { Forbidden, Unauthenticated } from '../shared/errors';
import type { Principal, Role } from './principal';

/**
 * Who may run each operation (docs/api.md, "Roles"), by root field (`Mutation.shipOrder`): the roles
 * admitted. Whether a customer may touch a given order or customer is the slice's to say, in its read paths and
 * commands (they are scoped to `context.owner`); this table says only who may ask at all.
 */
export type AccessRules = Readonly<Record<string, readonly Role[]>>;

export const EVERYONE: readonly Role[] = ['customer', 'staff', 'admin'];
export const STAFF: readonly Role[] = ['staff', 'admin'];
export const ADMIN: readonly Role[] = ['admin'];

type Context = { principal: Principal | null };

/** Throws unless the caller is authenticated and holds one of `roles`. */
export function admit(context: Context, roles: readonly Role[], operation: string): Principal {
  const { principal } = context;
  if (!principal) throw new Unauthenticated('Authenticate first: send Authorization: Bearer <token>');
  if (!roles.includes(principal.role)) throw new Forbidden(`A ${principal.role} may not run ${operation}`);
  return principal;
}

/**
 * The schema with every root field (query, mutation, subscription) checked against `rules` before it resolves or
 * subscribes, over HTTP and graphql-ws alike. A root field without a rule is refused here, when the schema is
 * built: a new operation cannot ship open by omission. Introspection (`__schema`, `__type`) is not a root field
 * resolver and stays open to anyone.
 */
export function withAccessRules(schema: GraphQLSchema, rules: AccessRules): GraphQLSchema {
  const ruled = new Set<string>();
  const mapped = mapSchema(schema, {
    [MapperKind.ROOT_FIELD]: (field, fieldName, typeName) => {
      const name = `${typeName}.${fieldName}`;
      const roles = rules[name];
      if (!roles) throw new Error(`${name} has no access rule (see src/auth/access.ts)`);
      ruled.add(name);
      const guard =
        <S, C extends Context, A>(inner: GraphQLFieldResolver<S, C, A> | undefined): GraphQLFieldResolver<S, C, A> =>
        (source, args, context, info) => {
          admit(context, roles, name);
          return (inner ?? defaultFieldResolver)(source, args, context, info);
        };
      return {
        ...field,
        resolve: field.subscribe && !field.resolve ? field.resolve : guard(field.resolve),
        subscribe: field.subscribe ? guard(field.subscribe) : undefined,
      };
    },
  });
  const stale = Object.keys(rules).filter((name) => !ruled.has(name));
  if (stale.length > 0) throw new Error(`access rules for operations the schema does not have: ${stale.join(', ')}`);
  return mapped;
}
