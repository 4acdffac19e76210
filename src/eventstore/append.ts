import { randomUUID } from 'node:crypto';
import { SpanKind } from '@opentelemetry/api';
import type { Db } from '../db/prisma';
import { sqlState, violatedConstraint } from '../db/sql-errors';
import {
  ATTR_AGGREGATE_ID,
  ATTR_DB_COLLECTION_NAME,
  ATTR_DB_OPERATION_NAME,
  ATTR_DB_SYSTEM_NAME,
  ATTR_AGGREGATE_TYPE,
  ATTR_EVENT_COUNT,
  ATTR_EVENT_TYPES,
  ATTR_EXPECTED_VERSION,
} from '../observability/attributes';
import { TRACING_OFF, type Tracing } from '../observability/tracing';
import { AppError } from '../shared/errors';
import { groupStatement } from './group-statement';
import { conflict, DuplicateCommand, HELD_ATTEMPTS, refusal } from './refusal';
import { EVENT_COLUMNS, toStoredEvent, type EventRow } from './rows';
import { HELD_BY_NEWER, type Notification } from './statement-parts';
import type { AppendRequest, AppendResult } from './types';

/** Positions pack (transaction id, index within the transaction) into a bigint: see the first migration. */
export const MAX_EVENTS_PER_APPEND = 65535;

/** Numbers the parameters of a statement in the order the SQL uses them, so each form passes only its own. */
class Params {
  readonly values: unknown[] = [];
  add(value: unknown, type: string): string {
    this.values.push(value);
    return `$${this.values.length}::${type}`;
  }
}

/**
 * Builds the one statement of an append. The stream-version step is a data-modifying CTE `stream(version)` that
 * yields one row (the new version) when the expected version holds (and no newer transaction held the stream
 * meanwhile: HELD_BY_NEWER) and none otherwise; the events and the command record select from it, so a failed
 * check writes nothing. With `notify`, the statement also sends that NOTIFY (PostgreSQL delivers it at the commit),
 * rather than a statement and a transaction of its own after it. An append with conditions on other streams
 * (`expectStreams`) takes the group's statement instead (see appendRows).
 */
export function appendStatement(
  request: AppendRequest,
  eventIds: string[],
  notify?: Notification,
): { text: string; values: unknown[] } {
  const p = new Params();
  const id = p.add(request.aggregateId, 'text');
  const type = p.add(request.aggregateType, 'text');
  const count = p.add(request.events.length, 'int');
  const expected = request.expectedVersion;
  let stream: string;
  if (expected === 'any') {
    stream = `INSERT INTO streams AS s (aggregate_id, aggregate_type, version) VALUES (${id}, ${type}, ${count})
      ON CONFLICT (aggregate_id) DO UPDATE SET version = s.version + EXCLUDED.version, updated_at = now()
      WHERE NOT ${HELD_BY_NEWER}
      RETURNING version`;
  } else if (expected === 'no-stream' || expected === 0) {
    stream = `INSERT INTO streams (aggregate_id, aggregate_type, version) VALUES (${id}, ${type}, ${count})
      ON CONFLICT (aggregate_id) DO NOTHING RETURNING version`;
  } else {
    // Under READ COMMITTED a concurrent writer of the same row makes this wait, then re-check the version against
    // the committed row: exactly one of two writers with the same expected version matches.
    stream = `UPDATE streams s SET version = version + ${count}, updated_at = now()
      WHERE aggregate_id = ${id} AND version = ${p.add(expected, 'int')} AND NOT ${HELD_BY_NEWER} RETURNING version`;
  }
  const base = '(pg_current_xact_id()::text::bigint << 16)';
  let command = '';
  if (request.command) {
    command = `, command AS (
      INSERT INTO processed_commands
        (scope, command_id, command_type, request_hash, aggregate_id, version, first_position, last_position)
      SELECT ${p.add(request.command.scope, 'text')}, ${p.add(request.command.commandId, 'text')},
        ${p.add(request.command.commandType, 'text')},
        ${p.add(request.command.requestHash, 'text')}, ${id}, stream.version, ${base} + 1, ${base} + ${count}
      FROM stream)`;
  }
  const text = `WITH stream AS (${stream})${command},
    appended AS (
      INSERT INTO events (position, event_id, aggregate_id, aggregate_type, version, event_type, schema_version,
        payload, metadata, owner_id)
      SELECT ${base} + e.ord, e.event_id, ${id}, ${type}, stream.version - ${count} + e.ord, e.event_type,
        e.schema_version, e.payload,
        ${p.add(JSON.stringify(request.metadata), 'jsonb')}, ${p.add(request.ownerId ?? null, 'text')}
      FROM stream, unnest(${p.add(eventIds, 'uuid[]')}, ${p.add(
        request.events.map((e) => e.eventType),
        'text[]',
      )}, ${p.add(
        request.events.map((e) => e.schemaVersion ?? 1),
        'int[]',
      )}, ${p.add(
        request.events.map((e) => JSON.stringify(e.payload)),
        'jsonb[]',
      )}) WITH ORDINALITY AS e(event_id, event_type, schema_version, payload, ord)
      RETURNING ${EVENT_COLUMNS})${
        notify
          ? `,
    wake AS (SELECT pg_notify(${p.add(notify.channel, 'text')}, ${p.add(notify.payload, 'text')}))
    SELECT appended.* FROM appended, wake ORDER BY position`
          : `
    SELECT * FROM appended ORDER BY position`
      }`;
  return { text, values: p.values };
}

/**
 * Appends events to one aggregate's stream in a single statement (one implicit transaction, one round trip):
 * the version check, the events and, with a commandId, the idempotency record commit together or not at all.
 * Given a Prisma interactive transaction, it joins that transaction instead.
 *
 * With tracing on, the append is a span, and its context goes into every event's metadata: the one thing that
 * outlives the request, so that a projector batch, a bus message and a consumer's work, however much later and
 * wherever, link back to the operation that caused the event.
 */
export async function append(
  db: Db,
  request: AppendRequest,
  tracing: Tracing = TRACING_OFF,
  notify?: Notification,
): Promise<AppendResult> {
  return tracedAppend(request, tracing, (traced) => appendRows(db, traced, notify));
}

/**
 * Checks an append's size and, with tracing on, runs `write` in the append's span with the span's context added to
 * the request's metadata: what `append` does around its statement, and the group commit around its queue.
 */
export async function tracedAppend(
  request: AppendRequest,
  tracing: Tracing,
  write: (request: AppendRequest) => Promise<AppendResult>,
): Promise<AppendResult> {
  const count = request.events.length;
  if (count === 0 || count > MAX_EVENTS_PER_APPEND) {
    throw new RangeError(`an append takes 1 to ${MAX_EVENTS_PER_APPEND} events, got ${count}`);
  }
  checkConditions(request);
  if (!tracing.enabled) return write(request);
  const spec = {
    kind: SpanKind.CLIENT,
    attributes: {
      [ATTR_DB_SYSTEM_NAME]: 'postgresql',
      [ATTR_DB_OPERATION_NAME]: 'INSERT',
      [ATTR_DB_COLLECTION_NAME]: 'events',
      [ATTR_AGGREGATE_TYPE]: request.aggregateType,
      [ATTR_AGGREGATE_ID]: request.aggregateId,
      [ATTR_EVENT_COUNT]: count,
      [ATTR_EVENT_TYPES]: request.events.map((e) => e.eventType),
      [ATTR_EXPECTED_VERSION]: String(request.expectedVersion),
    },
    refusal: (error: unknown) =>
      error instanceof AppError ? error.code : error instanceof DuplicateCommand ? 'DUPLICATE_COMMAND' : undefined,
  };
  return tracing.span(`append ${request.aggregateType}`, spec, () =>
    write({ ...request, metadata: { ...request.metadata, ...tracing.current() } }),
  );
}

/**
 * Conditions name other streams, each once, at a version it has reached: a stream that does not exist has no row to
 * hold, so "not there yet" is no condition this store can keep.
 */
function checkConditions(request: AppendRequest): void {
  const ids = new Set<string>([request.aggregateId]);
  for (const { aggregateId, version } of request.expectStreams ?? []) {
    if (ids.has(aggregateId)) {
      throw new RangeError(`an append's conditions name other streams, each once: ${aggregateId} is named twice`);
    }
    if (!Number.isSafeInteger(version) || version < 1) {
      throw new RangeError(`a condition expects a version from 1 on, got ${version} for ${aggregateId}`);
    }
    ids.add(aggregateId);
  }
}

/**
 * The append's statement, sent and answered: the single append's (appendStatement) or, with conditions on other
 * streams, the group's (groupStatement) with this one member. A refused append is told why (refusal) or, refused
 * only because a newer transaction held its stream meanwhile, made again.
 */
export async function appendRows(db: Db, request: AppendRequest, notify?: Notification): Promise<AppendResult> {
  for (let attempt = 1; ; attempt++) {
    const rows = await appendOnce(db, request, notify);
    if (rows.length > 0) {
      const events = rows.map(toStoredEvent);
      const last = events[events.length - 1]!;
      return { events, version: last.version, position: last.position };
    }
    const why = await refusal(db, request);
    if (why !== 'again') throw why;
    if (attempt === HELD_ATTEMPTS) throw await conflict(db, request.aggregateId, request.expectedVersion);
  }
}

async function appendOnce(db: Db, request: AppendRequest, notify?: Notification): Promise<EventRow[]> {
  const query = request.expectStreams?.length
    ? groupStatement([request], notify)
    : appendStatement(
        request,
        request.events.map(() => randomUUID()),
        notify,
      );
  try {
    // Unsafe only in name: the text is this module's or the group's, in fixed forms; every value is a parameter.
    return await db.$queryRawUnsafe<EventRow[]>(query.text, ...query.values);
  } catch (error) {
    if (sqlState(error) === '23505') {
      const constraint = violatedConstraint(error);
      if (constraint === 'processed_commands_pkey') throw new DuplicateCommand(request.command!.commandId);
      if (constraint === 'events_aggregate_id_version_key') {
        throw await conflict(db, request.aggregateId, request.expectedVersion);
      }
    }
    throw error;
  }
}
