import { createHash, randomUUID } from 'node:crypto';
import stableStringify from 'fast-json-stable-stringify';
import { DuplicateCommand, type EventMetadata, type EventStore, type StoredEvent } from '../eventstore';
import { AppError, ConcurrencyConflict, IdempotencyConflict, NotFound } from '../shared/errors';
import { fold, type Aggregate } from './aggregate';

/** Who sent a command and how it relates to others: becomes the events' metadata. */
export type CommandMeta = {
  /** Idempotency key from the client. */
  commandId?: string | null;
  correlationId?: string | null;
  userId?: string | null;
};

export type Command<S, E extends { type: string; data: unknown }> = {
  aggregate: Aggregate<S, E>;
  aggregateId: string;
  /** Names the command in the idempotency record, e.g. `PlaceOrder`. */
  commandType: string;
  /** The client's input, minus metadata: a repeated commandId must come with the same input. */
  input: unknown;
  /** Creates the aggregate (it must not exist yet) or acts on an existing one (NOT_FOUND otherwise). */
  creates: boolean;
  expectedVersion?: number | null;
  decide(state: S): E[] | Promise<E[]>;
  meta: CommandMeta;
};

export type CommandOutcome<S> = {
  aggregateId: string;
  version: number;
  events: StoredEvent[];
  position: bigint;
  /** The aggregate's state folded from its stream, as of `version`. */
  state: S;
  /** The aggregate's whole stream up to `version` (views need the envelopes: timestamps, versions). */
  stream: StoredEvent[];
};

/**
 * load → decide → append. A command without an expectedVersion that loses a race to another writer is re-read
 * and re-decided, up to `retries` times; with one, the conflict is the client's to resolve.
 */
export async function handleCommand<S, E extends { type: string; data: unknown }>(
  store: EventStore,
  command: Command<S, E>,
  retries: number,
): Promise<CommandOutcome<S>> {
  const commandId = command.meta.commandId ?? undefined;
  const requestHash = hash(command.commandType, command.input);
  if (commandId) {
    const earlier = await replay(store, command, commandId, requestHash);
    if (earlier) return earlier;
  }
  const causationId = commandId ?? randomUUID();
  const metadata = {
    correlationId: command.meta.correlationId ?? causationId,
    causationId,
    userId: command.meta.userId ?? null,
  };

  const mayRetry = command.expectedVersion === undefined || command.expectedVersion === null;
  for (let attempt = 0; ; attempt++) {
    try {
      return await attemptOnce(store, command, metadata, commandId ? { commandId, requestHash } : undefined);
    } catch (error) {
      // A twin request with the same commandId may have committed while this one was deciding or appending: then
      // this one failed only because the command is already done, and the first result is the answer.
      if (commandId && (error instanceof AppError || error instanceof DuplicateCommand)) {
        const earlier = await replay(store, command, commandId, requestHash);
        if (earlier) return earlier;
      }
      if (error instanceof ConcurrencyConflict && mayRetry && attempt < retries) {
        await backOff(attempt);
        continue;
      }
      throw error;
    }
  }
}

async function attemptOnce<S, E extends { type: string; data: unknown }>(
  store: EventStore,
  command: Command<S, E>,
  metadata: EventMetadata,
  idempotency: { commandId: string; requestHash: string } | undefined,
): Promise<CommandOutcome<S>> {
  const loaded = fold(command.aggregate, await store.readStream(command.aggregateId));
  if (!command.creates && loaded.version === 0) throw new NotFound(command.aggregate.type, command.aggregateId);
  const expected = command.expectedVersion;
  if (expected !== undefined && expected !== null && expected !== loaded.version) {
    throw new ConcurrencyConflict(command.aggregateId, expected, loaded.version);
  }
  const decided = await command.decide(loaded.state);
  const appended = await store.append({
    aggregateId: command.aggregateId,
    aggregateType: command.aggregate.type,
    expectedVersion: command.creates ? 'no-stream' : loaded.version,
    events: decided.map((e) => ({ eventType: e.type, payload: e.data })),
    metadata,
    command: idempotency && { ...idempotency, commandType: command.commandType },
  });
  const state = decided.reduce((s, e) => command.aggregate.evolve(s, e), loaded.state);
  const stream = [...loaded.events, ...appended.events];
  return { aggregateId: command.aggregateId, ...appended, state, stream };
}

/** Writers that collided would collide again if they retried in lockstep: wait a random, growing moment. */
function backOff(attempt: number): Promise<void> {
  const ms = Math.random() * Math.min(50, 2 ** attempt);
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The first result of a command already processed under this commandId, re-read from the log. */
async function replay<S, E extends { type: string; data: unknown }>(
  store: EventStore,
  command: Command<S, E>,
  commandId: string,
  requestHash: string,
): Promise<CommandOutcome<S> | undefined> {
  const record = await store.findProcessedCommand(commandId);
  if (!record) return undefined;
  if (record.requestHash !== requestHash) throw new IdempotencyConflict(commandId);
  const stream = await store.readStream(record.aggregateId, { toVersion: record.version });
  const { state } = fold(command.aggregate, stream);
  const events = stream.filter((e) => e.position >= record.firstPosition && e.position <= record.lastPosition);
  return {
    aggregateId: record.aggregateId,
    version: record.version,
    events,
    position: record.lastPosition,
    state,
    stream,
  };
}

function hash(commandType: string, input: unknown): string {
  return createHash('sha256').update(stableStringify({ commandType, input })).digest('hex');
}
