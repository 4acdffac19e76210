import type { Logger } from 'pino';
import type { Services } from '../services';
import { createLoaders, type Loaders } from './loaders';

/** A non-fatal note for the client, sent in the response's `extensions.warnings`. */
export type Warning = { code: string; message: string; [detail: string]: unknown };

/** Per-operation context: the app's services, who is asking, per-request batching, and warnings. */
export type GraphQLContext = {
  services: Services;
  /** From the `x-user-id` header (or the ws connection params) until authentication lands: provenance only. */
  userId: string | null;
  /** Who is calling, for per-caller limits: the peer's address until authentication lands. */
  caller: string;
  logger: Logger;
  loaders: Loaders;
  warnings: Warning[];
};

export function createContext(
  services: Services,
  who: { userId: string | null; caller: string },
  logger: Logger,
): GraphQLContext {
  return { services, ...who, logger, loaders: createLoaders(services.prisma), warnings: [] };
}
