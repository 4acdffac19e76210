import { SpanKind } from '@opentelemetry/api';
import type { Logger } from 'pino';
import type { BusPublisher } from '../bus/publisher';
import type { PrismaClient } from '../db/prisma';
import type { EventStore, StoredEvent, WakeUps } from '../eventstore';
import { ConsumerLoop } from '../eventstore/consumer-loop';
import {
  ATTR_MESSAGING_BATCH_MESSAGE_COUNT,
  ATTR_MESSAGING_DESTINATION_NAME,
  ATTR_MESSAGING_OPERATION_NAME,
  ATTR_MESSAGING_OPERATION_TYPE,
  ATTR_MESSAGING_SYSTEM,
  ATTR_POSITION_FROM,
  ATTR_POSITION_TO,
} from '../observability/attributes';
import { TRACING_OFF, type Tracing } from '../observability/tracing';
import {
  ensureCheckpoint,
  moveCheckpoint,
  readCheckpoint,
  recordError,
  resetCheckpoint,
} from '../projections/checkpoints';
import type { Leadership } from '../projections/leadership';

export type RelayOptions = {
  /** Events per publish: the broker acknowledges a batch before the checkpoint moves past it. */
  batchSize: number;
  /** How often an idle relay looks at the log when no wake-up came (and a follower tries to lead). */
  pollMs: number;
  /** The first wait after a failed publish; it doubles up to `maxRetryMs` while the broker stays away. */
  retryMs: number;
  maxRetryMs: number;
};

export type RelayState = 'PUBLISHING' | 'IDLE' | 'RETRYING' | 'FOLLOWING' | 'STOPPED';

export type RelayReport = {
  name: string;
  broker: BusPublisher['kind'];
  position: bigint;
  /** Events in the log after the relay's checkpoint. */
  lag: number;
  state: RelayState;
  leader: boolean;
  lastError: string | null;
  lastPublishedAt: Date | null;
};

/**
 * Publishes the log, in log order, to a broker (product.md, "The event bus"): a consumer of the log like the
 * projectors (the same gap-safe reader, the same consumer loop, a checkpoint in the same table, one leader across
 * instances by the same advisory locks), whose "apply" is a publish the broker has acknowledged. The checkpoint
 * moves only after the acknowledgements, so a crash between the two republishes the batch: at-least-once, and the
 * eventId the deduplication key. A broker that is down or slow pauses this loop only: appends never wait for it.
 */
export class Relay {
  readonly name: string;
  private readonly loop: ConsumerLoop;
  private readonly unsubscribe: (() => void)[] = [];
  private state: RelayState = 'IDLE';
  private failures = 0;
  private lastPublishedAt: Date | null = null;

  constructor(
    private readonly deps: {
      prisma: PrismaClient;
      store: EventStore;
      /** Pokes when a projector commits: the readers' horizon moves then too (see ProjectionRunner.start). */
      checkpoints: WakeUps;
      leadership: Leadership;
      publisher: BusPublisher;
      logger: Logger;
      /** Each publish is a span linked to the operations whose events it carries. */
      tracing?: Tracing;
      options: RelayOptions;
    },
  ) {
    this.name = `relay:${deps.publisher.kind}`;
    this.loop = new ConsumerLoop({
      name: `bus relay (${deps.publisher.kind})`,
      step: () => this.step(),
      pollMs: deps.options.pollMs,
      retryMs: deps.options.retryMs,
      logger: deps.logger,
    });
  }

  start(): void {
    this.unsubscribe.push(this.deps.store.onAppended(() => this.loop.poke()));
    this.unsubscribe.push(this.deps.checkpoints.onWake(() => this.loop.poke()));
    this.loop.start();
  }

  async stop(): Promise<void> {
    this.unsubscribe.forEach((u) => u());
    await this.loop.stop();
    this.state = 'STOPPED';
    await this.deps.leadership.release(this.name);
    await this.deps.publisher.close().catch(() => undefined);
  }

  async report(): Promise<RelayReport> {
    const { prisma, store, leadership, publisher } = this.deps;
    const checkpoint = await readCheckpoint(prisma, this.name);
    const position = checkpoint?.position ?? 0n;
    const head = await store.logHead();
    return {
      name: this.name,
      broker: publisher.kind,
      position,
      lag: head > position ? await store.countEvents(position, head) : 0,
      state: leadership.holds(this.name) ? this.state : 'FOLLOWING',
      leader: leadership.holds(this.name),
      lastError: checkpoint?.lastError ?? null,
      lastPublishedAt: this.lastPublishedAt,
    };
  }

  /** An operator's restart from `position`: the events after it are published again (consumers deduplicate). */
  async restartFrom(position: bigint): Promise<boolean> {
    await ensureCheckpoint(this.deps.prisma, this.name, 1);
    const done = await resetCheckpoint(this.deps.prisma, this.name, position);
    this.loop.poke();
    return done;
  }

  private async step(): Promise<boolean> {
    const { prisma, store, leadership, publisher, options, logger } = this.deps;
    if (!(await leadership.tryAcquire(this.name))) {
      this.state = 'FOLLOWING';
      return false;
    }
    const checkpoint = await ensureCheckpoint(prisma, this.name, 1);
    const from = checkpoint.position;
    const page = await store.readLog(from, options.batchSize);
    if (page.events.length === 0 && page.scannedTo <= from) {
      this.state = 'IDLE';
      return false;
    }
    try {
      if (page.events.length > 0) {
        this.state = 'PUBLISHING';
        await publisher.connect();
        await this.publish(page.events);
        this.lastPublishedAt = new Date();
      }
    } catch (error) {
      this.state = 'RETRYING';
      this.failures++;
      const message = error instanceof Error ? error.message : String(error);
      await recordError(prisma, this.name, message).catch(() => undefined);
      logger.warn({ relay: this.name, err: error, failures: this.failures }, 'publishing to the bus failed; retrying');
      // Back off while the broker stays away, up to maxRetryMs, then try again: nothing is lost meanwhile.
      await this.loop.delay(
        Math.min(options.maxRetryMs, options.retryMs * 2 ** Math.min(this.failures - 1, 10)),
        false,
      );
      return true;
    }
    this.failures = 0;
    if (!(await moveCheckpoint(prisma, this.name, from, page.scannedTo))) {
      logger.warn({ relay: this.name }, 'relay checkpoint moved under this process; no longer leading');
      await leadership.release(this.name);
      this.state = 'FOLLOWING';
      return false;
    }
    return page.events.length > 0 || page.scannedTo > from;
  }

  /**
   * One span per batch (not per message: a batch is hundreds of them), linked to each event's trace context; the
   * messages themselves carry that context in their headers (src/bus/envelope.ts) for their consumers.
   */
  private publish(events: readonly StoredEvent[]): Promise<void> {
    const { publisher } = this.deps;
    const tracing = this.deps.tracing ?? TRACING_OFF;
    if (!tracing.enabled) return publisher.publish(events);
    const spec = {
      kind: SpanKind.PRODUCER,
      root: true,
      links: tracing.linksTo(events.map((e) => e.metadata)),
      attributes: {
        [ATTR_MESSAGING_SYSTEM]: publisher.kind === 'nats' ? 'nats' : 'rabbitmq',
        [ATTR_MESSAGING_OPERATION_TYPE]: 'send',
        [ATTR_MESSAGING_OPERATION_NAME]: 'publish',
        [ATTR_MESSAGING_DESTINATION_NAME]: publisher.destination,
        [ATTR_MESSAGING_BATCH_MESSAGE_COUNT]: events.length,
        [ATTR_POSITION_FROM]: events[0]!.position.toString(),
        [ATTR_POSITION_TO]: events.at(-1)!.position.toString(),
      },
    };
    return tracing.span(`publish ${publisher.destination}`, spec, () => publisher.publish(events));
  }
}
