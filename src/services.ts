import type { Authenticator } from './auth/authenticator';
import type { Config } from './config';
import type { PrismaClient } from './db/prisma';
import type { TokenBuckets } from './db/rate-limit-buckets';
import type { Reads } from './db/reads';
import type { EventStore } from './eventstore';
import type { Metrics } from './observability/metrics';
import type { Tracing } from './observability/tracing';
import type { ProjectionRunner } from './projections/runner';
import type { ReactorRunner } from './reactions/runner';
import type { Relay } from './relay/relay';
import type { Scheduler } from './scheduling/scheduler';
import type { ReadModelFeed } from './subscriptions/read-model-feed';
import type { LogTailer } from './log/tailer';

/**
 * The infrastructure resolvers reach through the context: one instance per server process. Slices' commands are
 * not here: each slice builds its own and closes its resolvers over them (src/slice.ts), so this type names no
 * slice and nothing imports in a circle through it.
 */
export type Services = {
  config: Config;
  auth: Authenticator;
  prisma: PrismaClient;
  /** The API's reads of the query tables (db/reads.ts). */
  reads: Reads;
  store: EventStore;
  projections: ProjectionRunner;
  /** The reactors (rules that send commands on events), each run by one instance. */
  reactors: ReactorRunner;
  /** Sends the commands scheduled for later (deadlines) when they are due, on one instance. */
  scheduler: Scheduler;
  /** Publishes the log to the event bus; only with BUS_URL set. */
  relay?: Relay;
  /** This process's one reader of the live log, feeding every `events` subscription. */
  tailer: LogTailer;
  readModelFeed: ReadModelFeed;
  /** This instance's Prometheus registry and the hooks that feed it (GET /metrics). */
  metrics: Metrics;
  /** Where spans go (TRACING_OFF unless OTEL_EXPORTER_OTLP_*ENDPOINT is set). */
  tracing: Tracing;
  /** The mutation rate limit's buckets, shared by every instance; undefined when the limit is off. */
  mutationBuckets: TokenBuckets | undefined;
};
