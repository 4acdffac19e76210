import { SpanKind } from '@opentelemetry/api';
import type { Logger } from 'pino';
import type { BusPublisher } from '../bus/publisher';
import type { PrismaClient } from '../db/prisma';
import type { EventStore, StoredEvent, WakeUps } from '../eventstore';
import { ensureCheckpoint, readCheckpoint, resetCheckpoint } from '../log/checkpoints';
import type { Leadership } from '../log/leadership';
import { Processor, type ProcessorState } from '../log/processor';
import type { LogWindow } from '../log/tailer';
import {
  ATTR_MESSAGING_BATCH_MESSAGE_COUNT,
  ATTR_MESSAGING_DESTINATION_NAME,
  ATTR_MESSAGING_OPERATION_NAME,
  ATTR_MESSAGING_OPERATION_TYPE,
  ATTR_MESSAGING_SYSTEM,
  ATTR_POSITION_FROM,
  ATTR_POSITION_TO,
} from '../observability/attributes';
import type { Tracing } from '../observability/tracing';
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

const STATES: Record<ProcessorState, RelayState> = {
  WORKING: 'PUBLISHING',
  IDLE: 'IDLE',
  RETRYING: 'RETRYING',
  FOLLOWING: 'FOLLOWING',
  STOPPED: 'STOPPED',
};

/**
 * Publishes the log, in log order, to a broker: a processor like the projectors (the same reader, checkpoint
 * table and leadership), whose effect is a publish the broker has acknowledged. The checkpoint moves only after
 * the acknowledgements, so a crash between the two republishes the batch: at-least-once, and the eventId the
 * deduplication key. A broker that is down or slow pauses this processor only: appends never wait for it.
 */
export class Relay {
  readonly name: string;
  private readonly processor: Processor;
  private state: RelayState = 'IDLE';
  private lastPublishedAt: Date | null = null;

  constructor(
    private readonly deps: {
      prisma: PrismaClient;
      store: EventStore;
      /** The process's live reader: near the head, the relay publishes from its window. */
      window?: LogWindow;
      /** Pokes when a projector commits: the readers' horizon moves then too. */
      checkpoints: WakeUps;
      leadership: Leadership;
      publisher: BusPublisher;
      logger: Logger;
      /** Each publish is a span linked to the operations whose events it carries. */
      tracing?: Tracing;
      options: RelayOptions;
    },
  ) {
    const { publisher, options } = deps;
    this.name = `relay:${publisher.kind}`;
    this.processor = new Processor(
      {
        kind: 'after-effect',
        apply: async (events) => {
          await publisher.connect();
          await publisher.publish(events);
          this.lastPublishedAt = new Date();
        },
      },
      {
        name: this.name,
        version: 1,
        batchSize: options.batchSize,
        maxBatchSize: options.batchSize,
        pollMs: options.pollMs,
        retryMs: options.retryMs,
        maxRetryMs: options.maxRetryMs,
        span: (events) => this.span(events),
      },
      {
        prisma: deps.prisma,
        store: deps.store,
        window: deps.window,
        checkpoints: deps.checkpoints,
        leadership: deps.leadership,
        logger: deps.logger,
        tracing: deps.tracing,
      },
      { state: (state) => (this.state = STATES[state]), leading: () => this.setUp() },
    );
  }

  start(): void {
    this.processor.start();
  }

  async stop(): Promise<void> {
    await this.processor.stop();
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

  /**
   * Connects as soon as this process leads, not at its first publish, so that the broker's side is set up (the
   * NATS stream's retention among it) while nothing is appended too: an upgraded stream's older messages then age
   * out on time. A failure here is logged; the first publish connects again, and retries.
   */
  private setUp(): void {
    const { publisher, logger } = this.deps;
    publisher
      .connect()
      .catch((error: unknown) => logger.warn({ err: error, relay: this.name }, 'the broker is not reachable yet'));
  }

  /** An operator's restart from `position`: the events after it are published again (consumers deduplicate). */
  async restartFrom(position: bigint): Promise<boolean> {
    await ensureCheckpoint(this.deps.prisma, this.name, 1);
    const done = await resetCheckpoint(this.deps.prisma, this.name, position);
    this.processor.refresh();
    return done;
  }

  /**
   * One span per batch (not per message: a batch is hundreds of them), linked to each event's trace context; the
   * messages themselves carry that context in their headers (src/bus/envelope.ts) for their consumers.
   */
  private span(events: readonly StoredEvent[]) {
    const { publisher } = this.deps;
    return {
      name: `publish ${publisher.destination}`,
      spec: {
        kind: SpanKind.PRODUCER,
        attributes: {
          [ATTR_MESSAGING_SYSTEM]: publisher.kind === 'nats' ? 'nats' : 'rabbitmq',
          [ATTR_MESSAGING_OPERATION_TYPE]: 'send',
          [ATTR_MESSAGING_OPERATION_NAME]: 'publish',
          [ATTR_MESSAGING_DESTINATION_NAME]: publisher.destination,
          [ATTR_MESSAGING_BATCH_MESSAGE_COUNT]: events.length,
          [ATTR_POSITION_FROM]: events[0]!.position.toString(),
          [ATTR_POSITION_TO]: events.at(-1)!.position.toString(),
        },
      },
    };
  }
}
