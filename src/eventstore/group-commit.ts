import { randomUUID } from 'node:crypto';
import type { Db } from '../db/prisma';
import { sqlState } from '../db/sql-errors';
import { appendRows, conflict, DuplicateCommand, MAX_EVENTS_PER_APPEND, type Notification } from './append';
import { findProcessedCommand } from './processed-commands';
import { EVENT_COLUMNS, toStoredEvent, type EventRow } from './rows';
import type { AppendRequest, AppendResult } from './types';
import type { WakeUps } from './wakeups';

/** Appends one group statement takes at most (its events are bounded by MAX_EVENTS_PER_APPEND as well). */
const MAX_GROUP = 64;

/**
 * The one statement of a group of appends, each to another stream. It is the single append's statement
 * (appendStatement) made set-based: the members come in as arrays, one element each, so the text is the same
 * whatever the group holds. Each member's stream step gates only its own events and command record, so a member
 * whose expected version does not hold, or whose commandId is already recorded, writes nothing and the others
 * commit. Positions: the members share the transaction's id, and member k numbers its events from
 * `first[k]` on, after the events of the members before it.
 */
function groupStatement(
  requests: readonly AppendRequest[],
  notify?: Notification,
): { text: string; values: unknown[] } {
  const members = {
    aggregateId: [] as string[],
    aggregateType: [] as string[],
    count: [] as number[],
    mode: [] as string[],
    expected: [] as (number | null)[],
    first: [] as number[],
    scope: [] as (string | null)[],
    commandId: [] as (string | null)[],
    commandType: [] as (string | null)[],
    requestHash: [] as (string | null)[],
    metadata: [] as string[],
    ownerId: [] as (string | null)[],
  };
  const events = {
    member: [] as number[],
    index: [] as number[],
    eventId: [] as string[],
    eventType: [] as string[],
    schemaVersion: [] as number[],
    payload: [] as string[],
  };
  let first = 1;
  requests.forEach((request, k) => {
    const expected = request.expectedVersion;
    members.aggregateId.push(request.aggregateId);
    members.aggregateType.push(request.aggregateType);
    members.count.push(request.events.length);
    members.mode.push(expected === 'any' ? 'any' : expected === 'no-stream' || expected === 0 ? 'new' : 'exact');
    members.expected.push(typeof expected === 'number' ? expected : null);
    members.first.push(first);
    members.scope.push(request.command?.scope ?? null);
    members.commandId.push(request.command?.commandId ?? null);
    members.commandType.push(request.command?.commandType ?? null);
    members.requestHash.push(request.command?.requestHash ?? null);
    members.metadata.push(JSON.stringify(request.metadata));
    members.ownerId.push(request.ownerId ?? null);
    request.events.forEach((event, i) => {
      events.member.push(k + 1);
      events.index.push(i + 1);
      events.eventId.push(randomUUID());
      events.eventType.push(event.eventType);
      events.schemaVersion.push(event.schemaVersion ?? 1);
      events.payload.push(JSON.stringify(event.payload));
    });
    first += request.events.length;
  });
  const base = '(pg_current_xact_id()::text::bigint << 16)';
  // `fresh`: the members whose command is not recorded yet (as of the statement's snapshot; a twin committing
  // meanwhile makes the command insert fail the whole statement, and the group is then appended one by one).
  const text = `WITH m AS (
      SELECT * FROM unnest($1::text[], $2::text[], $3::int[], $4::text[], $5::int[], $6::int[], $7::text[],
        $8::text[], $9::text[], $10::text[], $11::jsonb[], $12::text[]) WITH ORDINALITY
        AS m(aggregate_id, aggregate_type, count, mode, expected, first, scope, command_id, command_type,
          request_hash, metadata, owner_id, member)),
    fresh AS (
      SELECT * FROM m WHERE m.command_id IS NULL OR NOT EXISTS (
        SELECT 1 FROM processed_commands p WHERE p.scope = m.scope AND p.command_id = m.command_id)),
    added AS (
      INSERT INTO streams (aggregate_id, aggregate_type, version)
      SELECT aggregate_id, aggregate_type, count FROM fresh WHERE mode = 'any'
      ON CONFLICT (aggregate_id) DO UPDATE SET version = streams.version + EXCLUDED.version, updated_at = now()
      RETURNING aggregate_id, version),
    created AS (
      INSERT INTO streams (aggregate_id, aggregate_type, version)
      SELECT aggregate_id, aggregate_type, count FROM fresh WHERE mode = 'new'
      ON CONFLICT (aggregate_id) DO NOTHING RETURNING aggregate_id, version),
    -- Under READ COMMITTED a concurrent writer of the same row makes this wait, then re-check the version against
    -- the committed row, as the single append's update does.
    moved AS (
      UPDATE streams s SET version = s.version + fresh.count, updated_at = now()
      FROM fresh WHERE fresh.mode = 'exact' AND s.aggregate_id = fresh.aggregate_id AND s.version = fresh.expected
      RETURNING s.aggregate_id, s.version),
    stream AS (SELECT * FROM added UNION ALL SELECT * FROM created UNION ALL SELECT * FROM moved),
    command AS (
      INSERT INTO processed_commands
        (scope, command_id, command_type, request_hash, aggregate_id, version, first_position, last_position)
      SELECT m.scope, m.command_id, m.command_type, m.request_hash, m.aggregate_id, stream.version,
        ${base} + m.first, ${base} + m.first + m.count - 1
      FROM m JOIN stream USING (aggregate_id) WHERE m.command_id IS NOT NULL),
    appended AS (
      INSERT INTO events (position, event_id, aggregate_id, aggregate_type, version, event_type, schema_version,
        payload, metadata, owner_id)
      SELECT ${base} + m.first + e.index - 1, e.event_id, m.aggregate_id, m.aggregate_type,
        stream.version - m.count + e.index, e.event_type, e.schema_version, e.payload, m.metadata, m.owner_id
      FROM unnest($13::int[], $14::int[], $15::uuid[], $16::text[], $17::int[], $18::jsonb[])
        AS e(member, index, event_id, event_type, schema_version, payload)
      JOIN m ON m.member = e.member JOIN stream ON stream.aggregate_id = m.aggregate_id
      RETURNING ${EVENT_COLUMNS})${
        notify
          ? `,
    wake AS (SELECT pg_notify($19::text, $20::text))
    SELECT appended.* FROM appended, wake ORDER BY position`
          : `
    SELECT * FROM appended ORDER BY position`
      }`;
  const values: unknown[] = [
    ...Object.values(members),
    events.member,
    events.index,
    events.eventId,
    events.eventType,
    events.schemaVersion,
    events.payload,
  ];
  if (notify) values.push(notify.channel, notify.payload);
  return { text, values };
}

type Waiting = { request: AppendRequest; resolve(result: AppendResult): void; reject(error: unknown): void };

/**
 * Group commit: one append statement of this process is under way at a time, and the appends that arrive meanwhile
 * go together in the next one (one round trip, one transaction, one commit and one NOTIFY for all of them), each
 * with its own outcome. An append that finds nothing under way goes at once, alone, as it always did: a group
 * forms only from appends that would otherwise have waited for a connection, or the database, in parallel.
 *
 * One statement rather than a transaction with a savepoint per append: Prisma sends each statement of an
 * interactive transaction after the previous one's answer, so a savepoint per member would cost more round trips
 * than the group saves. The single statement isolates its members by construction instead (a refused member
 * writes nothing); only a failure of the statement itself (a twin's commandId committed by another instance
 * meanwhile, a deadlock with another instance's group, a member's data PostgreSQL refuses) undoes the group, which
 * is then appended one by one, each getting the outcome it would have had alone.
 */
export class AppendQueue {
  private readonly waiting: Waiting[] = [];
  private writing = false;

  constructor(
    private readonly db: Db,
    private readonly wakeUps: WakeUps,
  ) {}

  append(request: AppendRequest): Promise<AppendResult> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ request, resolve, reject });
      if (!this.writing) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.writing = true;
    try {
      while (this.waiting.length > 0) {
        const group = this.nextGroup();
        if (group.length === 1) await this.alone(group[0]!);
        else await this.together(group);
      }
    } finally {
      // Whatever failed, the queue is not left "writing" with nobody draining it: the next append drains again.
      this.writing = false;
    }
  }

  /**
   * The waiting appends, in arrival order, that can share a statement: one per stream (a statement cannot move one
   * stream's row twice) and per commandId, within the events one transaction can number. The rest wait their turn.
   */
  private nextGroup(): Waiting[] {
    const group: Waiting[] = [];
    const streams = new Set<string>();
    const commands = new Set<string>();
    let events = 0;
    for (let i = 0; i < this.waiting.length && group.length < MAX_GROUP;) {
      const { request } = this.waiting[i]!;
      const command = request.command && `${request.command.scope}\n${request.command.commandId}`;
      const fits =
        !streams.has(request.aggregateId) &&
        !(command && commands.has(command)) &&
        events + request.events.length <= MAX_EVENTS_PER_APPEND;
      if (!fits) {
        i++;
        continue;
      }
      group.push(this.waiting.splice(i, 1)[0]!);
      streams.add(request.aggregateId);
      if (command) commands.add(command);
      events += request.events.length;
    }
    return group;
  }

  private async alone(member: Waiting): Promise<void> {
    const wake = this.wakeUps.send('shared');
    try {
      const result = await appendRows(this.db, member.request, wake.notify);
      wake.sent(true);
      member.resolve(result);
    } catch (error) {
      wake.sent(false);
      member.reject(error);
    }
  }

  private async together(group: Waiting[]): Promise<void> {
    const wake = this.wakeUps.send('shared');
    let rows: EventRow[];
    try {
      const { text, values } = groupStatement(
        group.map((m) => m.request),
        wake.notify,
      );
      // Unsafe only in name: the text is fixed (two forms); every value is a parameter.
      rows = await this.db.$queryRawUnsafe<EventRow[]>(text, ...values);
    } catch (error) {
      wake.sent(false);
      // PostgreSQL refused the statement, so nothing of it was written: each member is appended alone and gets the
      // outcome it would have had alone (a twin's commandId recorded by another instance meanwhile, a deadlock with
      // another instance's group, or one member's data that PostgreSQL refuses, which must not fail the others).
      // Without a SQLSTATE (the connection failed) whether it committed is unknown, and every member is told so.
      if (sqlState(error) === undefined) {
        for (const member of group) member.reject(error);
        return;
      }
      for (const member of group) await this.alone(member);
      return;
    }
    wake.sent(true);
    const byStream = new Map<string, EventRow[]>();
    for (const row of rows) {
      const own = byStream.get(row.aggregate_id);
      if (own) own.push(row);
      else byStream.set(row.aggregate_id, [row]);
    }
    for (const member of group) {
      const own = byStream.get(member.request.aggregateId);
      if (!own) {
        // Read after the commit, off the queue: the next group need not wait for a refused member's reason.
        void this.refusal(member.request).then(member.reject, member.reject);
        continue;
      }
      const events = own.map(toStoredEvent);
      const last = events[events.length - 1]!;
      member.resolve({ events, version: last.version, position: last.position });
    }
  }

  /** Why a member wrote nothing: its commandId was recorded before, or its expected version did not hold. */
  private async refusal(request: AppendRequest): Promise<Error> {
    if (request.command && (await findProcessedCommand(this.db, request.command.scope, request.command.commandId))) {
      return new DuplicateCommand(request.command.commandId);
    }
    return conflict(this.db, request.aggregateId, request.expectedVersion);
  }
}
