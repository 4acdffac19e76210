import { randomUUID } from 'node:crypto';
import { HELD_BY_NEWER, type Notification } from './statement-parts';
import { EVENT_COLUMNS } from './rows';
import type { AppendRequest } from './types';

/**
 * The one statement of a group of appends, each to another stream. It is the single append's statement
 * (appendStatement) made set-based: the members come in as arrays, one element each, so the text is the same
 * whatever the group holds. Each member's stream step gates only its own events and command record, so a member
 * whose expected version does not hold, or whose commandId is already recorded, or one of whose conditions on
 * other streams (`expectStreams`) does not hold, writes nothing and the others commit. Positions: the members share
 * the transaction's id, and member k numbers its events from `first[k]` on, after the events of the members before
 * it.
 *
 * A condition "stream S is at version V" is checked by updating S's row where its version is V, without changing
 * it (`held`): the row lock that gives makes a concurrent append to S wait for this transaction, exactly as two
 * appends to one stream wait for each other, and under READ COMMITTED a check that waited is made again against
 * the committed row. The update also stamps the row with this transaction's id (its xmin), which is what an append
 * to S that waited checks (HELD_BY_NEWER): the group is a mover's statement too.
 */
export function groupStatement(
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
  const conditions = { member: [] as number[], aggregateId: [] as string[], version: [] as number[] };
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
    for (const condition of request.expectStreams ?? []) {
      conditions.member.push(k + 1);
      conditions.aggregateId.push(condition.aggregateId);
      conditions.version.push(condition.version);
    }
    first += request.events.length;
  });
  const values: unknown[] = [
    ...Object.values(members),
    events.member,
    events.index,
    events.eventId,
    events.eventType,
    events.schemaVersion,
    events.payload,
  ];
  const param = (value: unknown, type: string) => {
    values.push(value);
    return `$${values.length}::${type}`;
  };
  const base = '(pg_current_xact_id()::text::bigint << 16)';
  // Groups without conditions keep the statement they had: the condition steps are only there when needed.
  const held =
    conditions.member.length === 0
      ? ''
      : `
    c AS (
      SELECT * FROM unnest(${param(conditions.member, 'int[]')}, ${param(conditions.aggregateId, 'text[]')},
        ${param(conditions.version, 'int[]')}) AS c(member, aggregate_id, version)),
    held AS (
      UPDATE streams s SET version = s.version FROM c
      WHERE s.aggregate_id = c.aggregate_id AND s.version = c.version
      RETURNING s.aggregate_id, s.version),`;
  const heldOnly =
    held === ''
      ? ''
      : `
      AND NOT EXISTS (
        SELECT 1 FROM c WHERE c.member = m.member AND NOT EXISTS (
          SELECT 1 FROM held WHERE held.aggregate_id = c.aggregate_id AND held.version = c.version))`;
  // `fresh`: the members whose command is not recorded yet (as of the statement's snapshot; a twin committing
  // meanwhile makes the command insert fail the whole statement, and the group is then appended one by one) and
  // whose conditions hold.
  const text = `WITH m AS (
      SELECT * FROM unnest($1::text[], $2::text[], $3::int[], $4::text[], $5::int[], $6::int[], $7::text[],
        $8::text[], $9::text[], $10::text[], $11::jsonb[], $12::text[]) WITH ORDINALITY
        AS m(aggregate_id, aggregate_type, count, mode, expected, first, scope, command_id, command_type,
          request_hash, metadata, owner_id, member)),${held}
    fresh AS (
      SELECT * FROM m WHERE (m.command_id IS NULL OR NOT EXISTS (
        SELECT 1 FROM processed_commands p WHERE p.scope = m.scope AND p.command_id = m.command_id))${heldOnly}),
    added AS (
      INSERT INTO streams AS s (aggregate_id, aggregate_type, version)
      SELECT aggregate_id, aggregate_type, count FROM fresh WHERE mode = 'any'
      ON CONFLICT (aggregate_id) DO UPDATE SET version = s.version + EXCLUDED.version, updated_at = now()
      WHERE NOT ${HELD_BY_NEWER}
      RETURNING aggregate_id, version),
    created AS (
      INSERT INTO streams (aggregate_id, aggregate_type, version)
      SELECT aggregate_id, aggregate_type, count FROM fresh WHERE mode = 'new'
      ON CONFLICT (aggregate_id) DO NOTHING RETURNING aggregate_id, version),
    -- Under READ COMMITTED a concurrent writer of the same row makes this wait, then re-check the version (and
    -- whether a newer transaction held the row meanwhile) against the committed row, as the single append does.
    moved AS (
      UPDATE streams s SET version = s.version + fresh.count, updated_at = now()
      FROM fresh WHERE fresh.mode = 'exact' AND s.aggregate_id = fresh.aggregate_id AND s.version = fresh.expected
        AND NOT ${HELD_BY_NEWER}
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
    wake AS (SELECT pg_notify(${param(notify.channel, 'text')}, ${param(notify.payload, 'text')}))
    SELECT appended.* FROM appended, wake ORDER BY position`
          : `
    SELECT * FROM appended ORDER BY position`
      }`;
  return { text, values };
}
