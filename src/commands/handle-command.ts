import { createHash } from 'node:crypto';
import type { Span } from '@opentelemetry/api';
import stableStringify from 'fast-json-stable-stringify';
import {
  DuplicateCommand,
  ERASED_REQUEST_HASH,
  type EventMetadata,
  type EventStore,
  type StoredEvent,
} from '../eventstore';
import {
  ATTR_AGGREGATE_ID,
  ATTR_AGGREGATE_TYPE,
  ATTR_CAUSATION_ID,
  ATTR_COMMAND_ATTEMPTS,
  ATTR_COMMAND_ID,
  ATTR_COMMAND_TYPE,
  ATTR_CORRELATION_ID,
} from '../observability/attributes';
import { TRACING_OFF, type Tracing } from '../observability/tracing';
import { AppError, ConcurrencyConflict, IdempotencyConflict, NotFound } from '../shared/errors';
import type { InputLimits } from '../shared/input-limits';
import { requireId } from '../shared/text';
import { emptyAggregate, foldOnto, type Aggregate, type DomainEvent, type Loaded } from './aggregate';
import { idempotencyScope } from './caller-scope';
import { commandIds, type CommandIds } from './command-ids';
import type { Lanes } from './lanes';
import { loadAggregate } from './load';
import { OtherStreams } from './other-streams';

/** Who sent a command and how it relates to others: becomes the events' metadata. */
export type CommandMeta = {
  /**
   * The command's ids, made by whoever sends it (see commandIds): a mutation's come from its input and caller;
   * without them (an internal command) it gets fresh server-made ones.
   */
  ids?: CommandIds;
  userId?: string | null;
  /**
   * The customer a customer-role caller is: their commands may touch only their own aggregates, which the log's
   * owner of the stream is checked against before anything is loaded.
   */
  owner?: string;
};

export type Command<S, E extends DomainEvent> = {
  aggregate: Aggregate<S, E>;
  aggregateId: string;
  /** Names the command in the idempotency record, e.g. `PlaceOrder`. */
  commandType: string;
  /** The client's input, minus metadata: a repeated commandId must come with the same input. */
  input: unknown;
  /** Creates the aggregate (it must not exist yet) or acts on an existing one (NOT_FOUND otherwise). */
  creates: boolean;
  /** The input field that named an existing aggregate (e.g. `orderId`), for errors about it. */
  idField?: string;
  expectedVersion?: number | null;
  /**
   * The events the command records, given its aggregate's state. `others` loads any other aggregate the decision
   * depends on: the append then commits only if each is still at the version read (a lost race is retried).
   */
  decide(state: S, others: OtherStreams): E[] | Promise<E[]>;
  /**
   * Whether the caller may act on the loaded aggregate; one it may not is answered exactly as a missing one
   * (NOT_FOUND), before anything else about it (its version) is compared or told. A customer's command has already
   * been refused the same way, unloaded, if the stream's recorded owner is not them.
   */
  admits?(state: S): boolean;
  meta: CommandMeta;
};

export type CommandOutcome<S> = {
  aggregateId: string;
  version: number;
  /** The events this command appended. */
  events: StoredEvent[];
  position: bigint;
  /** The aggregate's state as of `version`. */
  state: S;
};

export type CommandOptions = {
  /** How often a command without an expectedVersion is re-read and re-decided after losing a race. */
  retries: number;
  /** Snapshot the aggregate every this many events (0: never). */
  snapshotEvery: number;
  /** The bounds the deciders hold inputs to; ids and command metadata are held to `idLength` here. */
  limits: InputLimits;
  /** ISO 4217: the currency of an order placed without one. */
  defaultCurrency: string;
  /** ORDER_PAYMENT_WINDOW: an order must be paid within this many ms of being placed (undefined: no window). */
  paymentWindowMs?: number;
  logger: { warn(obj: object, msg: string): void };
  /** With tracing on, each command is a span (its append a child of it). */
  tracing?: Tracing;
  /**
   * The process's lanes: commands on one existing aggregate queue here rather than race each other to the append,
   * so that within one process they never conflict; `retries` are left for races with other instances.
   */
  lanes?: Lanes;
};

/**
 * load → decide → append. A command without an expectedVersion that loses a race to another writer (of its own
 * stream, or of another stream its decision read) is re-read and re-decided, up to `retries` times; with one, the
 * conflict is the client's to resolve.
 */
export async function handleCommand<S, E extends DomainEvent>(
  store: EventStore,
  command: Command<S, E>,
  options: CommandOptions,
): Promise<CommandOutcome<S>> {
  const tracing = options.tracing ?? TRACING_OFF;
  if (!tracing.enabled) return runCommand(store, command, options, undefined);
  const attributes = {
    [ATTR_COMMAND_TYPE]: command.commandType,
    [ATTR_AGGREGATE_TYPE]: command.aggregate.type,
    [ATTR_AGGREGATE_ID]: command.aggregateId,
  };
  const refusal = (error: unknown) => (error instanceof AppError ? error.code : undefined);
  return tracing.span(`command ${command.commandType}`, { attributes, refusal }, (span) =>
    runCommand(store, command, options, span),
  );
}

async function runCommand<S, E extends DomainEvent>(
  store: EventStore,
  command: Command<S, E>,
  options: CommandOptions,
  span: Span | undefined,
): Promise<CommandOutcome<S>> {
  const { owner } = command.meta;
  const ids = command.meta.ids ?? commandIds({}, { owner }, options.limits.idLength);
  const { commandId, causationId } = ids;
  if (!command.creates) requireId(command.aggregateId, command.idField ?? 'id', options.limits.idLength);
  span?.setAttributes({ [ATTR_CORRELATION_ID]: ids.correlationId, [ATTR_CAUSATION_ID]: causationId });
  if (commandId) span?.setAttribute(ATTR_COMMAND_ID, commandId);
  const requestHash = hash(command.commandType, command.input);
  const metadata = {
    correlationId: ids.correlationId,
    causationId,
    userId: command.meta.userId ?? null,
  };
  const key = commandId === undefined ? undefined : { scope: idempotencyScope(command.meta.userId), commandId };
  const run = () => runAttempts(store, command, options, span, metadata, key, requestHash);
  // A creating command names a fresh id: nothing else in this process can be writing to its stream.
  if (command.creates) return run();
  // Another customer's aggregate is, to a customer, no aggregate: refused as an unknown id is, by one indexed
  // read, before its events are loaded or its lane (where it would wait behind the owner's commands) is entered.
  if (owner !== undefined && !(await store.ownsStream(command.aggregateId, owner))) {
    throw new NotFound(command.aggregate.type, command.aggregateId);
  }
  return options.lanes ? options.lanes.run(command.aggregateId, run) : run();
}

/** A commandId and the caller's scope it is unique in. */
type IdempotencyKey = { scope: string; commandId: string };

/** The idempotency check, then load → decide → append, again after each lost race while retries last. */
async function runAttempts<S, E extends DomainEvent>(
  store: EventStore,
  command: Command<S, E>,
  options: CommandOptions,
  span: Span | undefined,
  metadata: EventMetadata,
  key: IdempotencyKey | undefined,
  requestHash: string,
): Promise<CommandOutcome<S>> {
  if (key) {
    const earlier = await replay(store, command, key, requestHash);
    if (earlier) return earlier;
  }
  const mayRetry = command.expectedVersion === undefined || command.expectedVersion === null;
  for (let attempt = 0; ; attempt++) {
    span?.setAttribute(ATTR_COMMAND_ATTEMPTS, attempt + 1);
    try {
      return await attemptOnce(store, command, options, metadata, key && { ...key, requestHash });
    } catch (error) {
      // A twin request with the same commandId may have committed while this one was deciding or appending: then
      // this one failed only because the command is already done, and the first result is the answer.
      if (key && (error instanceof AppError || error instanceof DuplicateCommand)) {
        const earlier = await replay(store, command, key, requestHash);
        if (earlier) return earlier;
      }
      if (error instanceof ConcurrencyConflict && mayRetry && attempt < options.retries) {
        await backOff(attempt);
        continue;
      }
      throw error;
    }
  }
}

async function attemptOnce<S, E extends DomainEvent>(
  store: EventStore,
  command: Command<S, E>,
  options: CommandOptions,
  metadata: EventMetadata,
  idempotency: (IdempotencyKey & { requestHash: string }) | undefined,
): Promise<CommandOutcome<S>> {
  // A creating command names a fresh id: there is nothing to load (a duplicate id fails the no-stream append).
  const { loaded, baseVersion } = command.creates
    ? { loaded: emptyAggregate(command.aggregate), baseVersion: 0 }
    : await loadAggregate(store, command.aggregate, command.aggregateId);
  if (!command.creates && (loaded.version === 0 || command.admits?.(loaded.state) === false)) {
    throw new NotFound(command.aggregate.type, command.aggregateId);
  }
  const expected = command.expectedVersion;
  if (expected !== undefined && expected !== null && expected !== loaded.version) {
    throw new ConcurrencyConflict(command.aggregateId, expected, loaded.version);
  }
  const others = new OtherStreams(store, command.aggregateId);
  const decided = await command.decide(loaded.state, others);
  // Nothing to record (the aggregate is already as asked): answer with it as it stands, appending nothing.
  if (decided.length === 0) return unchanged(store, command, loaded);
  const appended = await store.append({
    aggregateId: command.aggregateId,
    aggregateType: command.aggregate.type,
    expectedVersion: command.creates ? 'no-stream' : loaded.version,
    ...(others.conditions.length > 0 && { expectStreams: others.conditions }),
    events: decided.map((e) => ({ eventType: e.type, payload: e.data })),
    metadata,
    command: idempotency && { ...idempotency, commandType: command.commandType },
    ownerId: command.aggregate.ownerOf(command.aggregateId, loaded.state, decided),
  });
  // Folded from the stored envelopes, exactly as the next load will fold them.
  const next = foldOnto(command.aggregate, loaded, appended.events);
  await maybeSnapshot(store, command, options, { loadedVersion: loaded.version, baseVersion }, next, {
    ...metadata,
    commandId: idempotency?.commandId,
  });
  return { aggregateId: command.aggregateId, ...appended, state: next.state };
}

/** The outcome of a command that decided nothing: the aggregate at its version, and the position of that version. */
async function unchanged<S, E extends DomainEvent>(
  store: EventStore,
  command: Command<S, E>,
  loaded: Loaded<S>,
): Promise<CommandOutcome<S>> {
  const [last] =
    loaded.version > 0
      ? await store.readStream(command.aggregateId, { fromVersion: loaded.version, toVersion: loaded.version })
      : [];
  return {
    aggregateId: command.aggregateId,
    version: loaded.version,
    events: [],
    position: last?.position ?? 0n,
    state: loaded.state,
  };
}

/**
 * Saves a snapshot when this command's events crossed a multiple of `snapshotEvery`, or when the load had to fold
 * that many events past its starting point anyway (no snapshot yet on an old stream, one ignored because the
 * aggregate's snapshotVersion changed, or an earlier save that failed). Best effort, after the append has
 * committed and outside its statement: a failure costs only longer loads, so it is logged, never thrown.
 */
async function maybeSnapshot<S, E extends DomainEvent>(
  store: EventStore,
  command: Command<S, E>,
  options: CommandOptions,
  before: { loadedVersion: number; baseVersion: number },
  next: Loaded<S>,
  ids: CommandIds,
): Promise<void> {
  const every = options.snapshotEvery;
  if (every <= 0) return;
  const crossed = Math.floor(next.version / every) > Math.floor(before.loadedVersion / every);
  const behind = next.version - before.baseVersion >= every;
  if (!crossed && !behind) return;
  try {
    await store.saveSnapshot({
      aggregateId: command.aggregateId,
      aggregateType: command.aggregate.type,
      version: next.version,
      snapshotVersion: command.aggregate.snapshotVersion,
      state: next.state,
    });
  } catch (error) {
    const { correlationId, causationId, commandId } = ids;
    options.logger.warn(
      { err: error, aggregateId: command.aggregateId, version: next.version, correlationId, causationId, commandId },
      'could not save a snapshot; the command succeeded, and loads fold more events until one is saved',
    );
  }
}

/** Writers that collided would collide again if they retried in lockstep: wait a random, growing moment. */
function backOff(attempt: number): Promise<void> {
  const ms = Math.random() * Math.min(50, 2 ** attempt);
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The first result of a command this caller already sent under this commandId, re-read from the log. */
async function replay<S, E extends DomainEvent>(
  store: EventStore,
  command: Command<S, E>,
  key: IdempotencyKey,
  requestHash: string,
): Promise<CommandOutcome<S> | undefined> {
  const record = await store.findProcessedCommand(key.scope, key.commandId);
  if (!record) return undefined;
  if (record.requestHash !== requestHash && record.requestHash !== ERASED_REQUEST_HASH) {
    throw new IdempotencyConflict(key.commandId);
  }
  // Positions pack (transaction id, index within the append), so the command's events are the last `count`
  // versions up to record.version: read them even when a snapshot at or below record.version covers them.
  const count = Number(record.lastPosition - record.firstPosition) + 1;
  const { loaded, read } = await loadAggregate(store, command.aggregate, record.aggregateId, {
    toVersion: record.version,
    readFrom: record.version - count + 1,
  });
  if (command.admits?.(loaded.state) === false) throw new NotFound(command.aggregate.type, command.aggregateId);
  const events = read.filter((e) => e.position >= record.firstPosition && e.position <= record.lastPosition);
  return {
    aggregateId: record.aggregateId,
    version: record.version,
    events,
    position: record.lastPosition,
    state: loaded.state,
  };
}

function hash(commandType: string, input: unknown): string {
  return createHash('sha256').update(stableStringify({ commandType, input })).digest('hex');
}
