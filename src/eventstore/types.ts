export type EventMetadata = {
  /** Ties together everything one user action caused. */
  correlationId: string;
  /** The command (or event) that caused this event. */
  causationId: string;
  /** Who triggered it, when known. */
  userId: string | null;
  /**
   * W3C trace context of the append, when tracing was on: what the projectors' batches, the bus messages and their
   * consumers link back to. Not served to clients (the GraphQL `EventMetadata` has no such fields); events stored
   * without it, or while tracing was off, simply have none.
   */
  traceparent?: string;
  tracestate?: string;
};

/** An event as stored and served: the full envelope, as the GraphQL `Event` type serves it (schema.graphql). */
export type StoredEvent = {
  eventId: string;
  eventType: string;
  aggregateId: string;
  aggregateType: string;
  version: number;
  /** Place in the global log; strictly increasing in the order every reader sees events. */
  position: bigint;
  timestamp: Date;
  schemaVersion: number;
  payload: unknown;
  metadata: EventMetadata;
  /** The customer whose data this event is (their reads are scoped to it), or null. Not served to clients. */
  ownerId: string | null;
  /** Its personal fields read as null: their subject was forgotten (see personal-data.ts). Set by the store's reads. */
  personalDataErased?: boolean;
};

/** A page of the global log, as the gap-safe reader returns it. */
export type LogPage = {
  events: StoredEvent[];
  /**
   * How far this read is complete: every matching event at or below it has been returned, now and for ever. It
   * only moves when events (of any type) were appended.
   * A filtered reader resumes from here rather than from its last event, so it does not rescan skipped rows.
   */
  scannedTo: bigint;
  /**
   * Committed events wait above the horizon (transactions that began before theirs are still open): they become
   * readable when the horizon moves, and no append will announce them again. Unknown (undefined) for a page that
   * was not read from the log itself.
   */
  heldBack?: boolean;
};

/** An event to append; `schemaVersion` is the shape of its payload (the store fills in the current one). */
export type NewEvent = { eventType: string; payload: unknown; schemaVersion?: number };

/** `any`: append whatever the version; `no-stream`: the aggregate must not exist yet; a number: exactly that. */
export type ExpectedVersion = number | 'any' | 'no-stream';

export type EventFilter = {
  aggregateId?: string;
  aggregateType?: string;
  eventTypes?: readonly string[];
  /** Any of these correlation ids (a customer's filter means two: see correlationIdsMatching). */
  correlationIds?: readonly string[];
  fromTimestamp?: Date;
  /** Only events of this owner (a customer's own). */
  ownerId?: string;
};

/**
 * Recorded with the events of a command that carried a client commandId. The key is (scope, commandId): the same
 * commandId from another caller is another command.
 */
export type CommandRecord = { scope: string; commandId: string; commandType: string; requestHash: string };

/**
 * What a processed command's `requestHash` becomes when its subject is forgotten: a hash of the command's input is a
 * hash of their name and email, which anyone with a guess and the table could confirm. A retry of such a command is
 * answered from the log without comparing inputs (there is nothing left to compare with).
 */
export const ERASED_REQUEST_HASH = 'erased';

/** A condition on another stream than the one appended to: it must still be at this version (1 or more). */
export type StreamCondition = { aggregateId: string; version: number };

export type AppendRequest = {
  aggregateId: string;
  aggregateType: string;
  expectedVersion: ExpectedVersion;
  /**
   * Other streams the events were decided on, each at the version the decision read: the append commits only if
   * every one is still there, checked in its statement, and holds them until it commits (see groupStatement).
   */
  expectStreams?: readonly StreamCondition[];
  events: readonly NewEvent[];
  metadata: EventMetadata;
  command?: CommandRecord;
  /** The customer whose data the stream is, recorded with each event (see StoredEvent.ownerId). */
  ownerId?: string | null;
};

export type AppendResult = { events: StoredEvent[]; version: number; position: bigint };

export type ProcessedCommand = CommandRecord & {
  aggregateId: string;
  version: number;
  firstPosition: bigint;
  lastPosition: bigint;
};
