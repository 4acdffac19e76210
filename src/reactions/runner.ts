import type { ClientConfig } from 'pg';
import type { Logger } from 'pino';
import type { CommandOptions } from '../commands/handle-command';
import type { PrismaClient } from '../db/prisma';
import type { Reads } from '../db/reads';
import type { EventStore, StoredEvent, WakeUps } from '../eventstore';
import { readCheckpoint } from '../log/checkpoints';
import type { ProjectionProgress } from '../log/fence';
import { Leadership } from '../log/leadership';
import { Processor, type ProcessorState } from '../log/processor';
import type { LogWindow } from '../log/tailer';
import type { Tracing } from '../observability/tracing';
import { reactionContext } from './context';
import type { Reactor } from './types';

export type ReactorOptions = {
  /** Events a batch takes: the checkpoint moves once all of their commands are answered. */
  batchSize: number;
  /** How long an idle reactor sleeps before looking again if no wake-up came (and a follower tries to lead). */
  pollMs: number;
  /** The first wait after a failed reaction; it doubles up to `maxRetryMs` while failures go on. */
  retryMs: number;
  maxRetryMs: number;
  /** How long a reaction waits for the query tables to pass its event before it is tried again. */
  readModelWaitMs: number;
};

export type ReactorRunnerDeps = {
  prisma: PrismaClient;
  store: EventStore;
  window?: LogWindow;
  checkpoints: WakeUps;
  connection: ClientConfig;
  logger: Logger;
  tracing?: Tracing;
  reads: Reads;
  commands: CommandOptions;
  /** How far the projectors have got: what a reaction that reads the query tables waits on. */
  projections: ProjectionProgress;
  reactors: readonly Reactor[];
  options: ReactorOptions;
};

export type ReactorState = ProcessorState;

export type ReactorReport = {
  /** The reactor's name (its checkpoint is `reactor:` and this). */
  name: string;
  position: bigint;
  /** Events of its types in the log after its checkpoint. */
  lag: number;
  state: ReactorState;
  leader: boolean;
  /** Why its last try failed (it is retrying); null once it has moved on. */
  lastError: string | null;
};

/** The checkpoint and lock of a reactor: apart from the projectors' names, which are bare. */
const reactorProcessorName = (reactor: Pick<Reactor, 'name'>): string => `reactor:${reactor.name}`;

/**
 * Runs every reactor as an after-effect processor (one leader across instances, on its own leadership
 * connection): the commands first, in log order, then the checkpoint. A reaction that throws (the database away,
 * the query tables not there yet, a command refused for any reason but a moot one) pauses its reactor, which
 * retries the same batch with a growing wait and never skips it: a reactor has no parked events, since a command it
 * has not sent cannot be set aside without breaking the rule it carries out.
 */
export class ReactorRunner {
  private readonly leadership: Leadership;
  private readonly processors: { reactor: Reactor; processor: Processor }[];
  /** Each reactor's state as its processor last said (meaningful while this process leads it). */
  private readonly states = new Map<string, ReactorState>();

  constructor(private readonly deps: ReactorRunnerDeps) {
    this.leadership = new Leadership(deps.connection, deps.logger);
    const { options } = deps;
    this.processors = deps.reactors.map((reactor) => ({
      reactor,
      processor: new Processor(
        { kind: 'after-effect', apply: (events) => this.react(reactor, events) },
        {
          name: reactorProcessorName(reactor),
          version: 1,
          eventTypes: reactor.eventTypes,
          batchSize: options.batchSize,
          maxBatchSize: options.batchSize,
          pollMs: options.pollMs,
          retryMs: options.retryMs,
          maxRetryMs: options.maxRetryMs,
          span: () => ({ name: `react ${reactor.name}`, spec: {} }),
        },
        {
          prisma: deps.prisma,
          store: deps.store,
          window: deps.window,
          checkpoints: deps.checkpoints,
          leadership: this.leadership,
          logger: deps.logger,
          tracing: deps.tracing,
        },
        { state: (state) => this.states.set(reactor.name, state) },
      ),
    }));
  }

  start(): void {
    for (const { processor } of this.processors) processor.start();
  }

  async stop(): Promise<void> {
    await Promise.all(this.processors.map(({ processor }) => processor.stop()));
    await this.leadership.close();
  }

  async report(): Promise<ReactorReport[]> {
    const head = await this.deps.store.logHead();
    return Promise.all(
      this.processors.map(async ({ reactor, processor }) => {
        const checkpoint = await readCheckpoint(this.deps.prisma, processor.name);
        const position = checkpoint?.position ?? 0n;
        const leader = processor.leads;
        return {
          name: reactor.name,
          position,
          lag: head > position ? await this.deps.store.countEvents(position, head, reactor.eventTypes) : 0,
          state: leader ? (this.states.get(reactor.name) ?? 'IDLE') : 'FOLLOWING',
          leader,
          lastError: checkpoint?.lastError ?? null,
        };
      }),
    );
  }

  /** When the first event of the reactor's types after `after` was appended; null when there is none yet. */
  async oldestPendingAt(name: string, after: bigint): Promise<Date | null> {
    const reactor = this.deps.reactors.find((r) => r.name === name);
    if (!reactor) return null;
    const page = await this.deps.store.readLog(after, 1, { eventTypes: reactor.eventTypes });
    return page.events[0]?.timestamp ?? null;
  }

  /** One event after another, in log order: a later reaction may rely on an earlier one's commands. */
  private async react(reactor: Reactor, events: readonly StoredEvent[]): Promise<void> {
    for (const event of events) {
      await reactor.react(event, reactionContext(reactor, event, this.deps));
    }
  }
}
