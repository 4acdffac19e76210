import type { Logger } from 'pino';
import type { Services } from '../services';

/** A non-fatal note for the client, sent in the response's `extensions.warnings`. */
export type Warning = { code: string; message: string; [detail: string]: unknown };

/** Per-operation context: the app's services, who is asking, per-request state (loaders), and warnings. */
export type GraphQLContext = {
  services: Services;
  /** From the `x-user-id` header (or the ws connection params) until authentication lands: provenance only. */
  userId: string | null;
  /** Who is calling, for per-caller limits: the peer's address until authentication lands. */
  caller: string;
  logger: Logger;
  /**
   * One value per operation for each `make` (the same function gives the same value within the operation): how a
   * slice keeps its DataLoaders without the context knowing any slice's types.
   */
  perRequest<T>(make: (context: GraphQLContext) => T): T;
  warnings: Warning[];
};

export function createContext(
  services: Services,
  who: { userId: string | null; caller: string },
  logger: Logger,
): GraphQLContext {
  const values = new Map<unknown, unknown>();
  const context: GraphQLContext = {
    services,
    ...who,
    logger,
    warnings: [],
    perRequest<T>(make: (context: GraphQLContext) => T): T {
      if (!values.has(make)) values.set(make, make(context));
      return values.get(make) as T;
    },
  };
  return context;
}
