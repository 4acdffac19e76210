import type { Logger } from 'pino';
import type { Services } from '../services';

/** Per-operation context: the app's services and who is asking. */
export type GraphQLContext = {
  services: Services;
  /** From the `x-user-id` header (or the ws connection params) until authentication lands: provenance only. */
  userId: string | null;
  logger: Logger;
};
