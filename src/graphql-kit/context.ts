import type { Logger } from 'pino';
import { ownerScope, type Principal } from '../auth/principal';
import type { CommandIds } from '../commands/command-ids';
import type { Services } from '../services';

/** A non-fatal note for the client, sent in the response's `extensions.warnings`. */
export type Warning = { code: string; message: string; [detail: string]: unknown };

/** What `extensions.cost` says: the operation's cost, computed before it ran, and the most an operation may cost. */
export type QueryCost = { requestedQueryCost: number; maxQueryCost: number };

/** Per-operation context: the app's services, who is asking, per-request state (loaders), and warnings. */
export type GraphQLContext = {
  services: Services;
  /** Who is calling, from a verified token; null for a caller that sent none (only introspection is open to it). */
  principal: Principal | null;
  /** The token's `sub`: recorded as the events' metadata.userId. */
  userId: string | null;
  /**
   * The customer whose data this caller may see, or undefined for staff and admins: read paths put it in their
   * SQL, so a customer's reads never fetch another's rows.
   */
  owner: string | undefined;
  /** Who is calling, for per-caller limits: the token's subject, or the peer's address without one. */
  caller: string;
  logger: Logger;
  /**
   * One value per operation for each `make` (the same function gives the same value within the operation): how a
   * slice keeps its DataLoaders without the context knowing any slice's types.
   */
  perRequest<T>(make: (context: GraphQLContext) => T): T;
  warnings: Warning[];
  /** A query's or mutation's cost (docs/api.md, Query cost) and the limit, for the response's `extensions.cost`. */
  cost?: QueryCost;
  /** The commands this operation sent, in order, with the ids they were given (its log line names them). */
  commands: CommandIds[];
  /**
   * The log position the caller's query tables must have reached before they are read (Read-After-Position): the
   * position of a mutation another instance answered.
   */
  readAfter?: bigint;
};

export function createContext(
  services: Services,
  who: { principal: Principal | null; address: string; readAfter?: bigint },
  logger: Logger,
): GraphQLContext {
  // Made on the first perRequest: most operations (a bare read of one row, introspection) make no loader.
  let values: Map<unknown, unknown> | undefined;
  const { principal } = who;
  const context: GraphQLContext = {
    services,
    principal,
    userId: principal?.sub ?? null,
    owner: principal ? ownerScope(principal) : undefined,
    caller: principal ? `sub:${principal.sub}` : `address:${who.address}`,
    logger,
    warnings: [],
    commands: [],
    readAfter: who.readAfter,
    perRequest<T>(make: (context: GraphQLContext) => T): T {
      values ??= new Map();
      if (!values.has(make)) values.set(make, make(context));
      return values.get(make) as T;
    },
  };
  return context;
}
