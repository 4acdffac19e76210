import { createHash, randomUUID } from 'node:crypto';
import stableStringify from 'fast-json-stable-stringify';
import { Pool } from 'pg';
import { z } from 'zod';
import type { Aggregate } from '../../src/commands/aggregate';
import { handleCommand, type Command, type CommandOptions } from '../../src/commands/handle-command';
import { listMigrations, migrate } from '../../src/db/migrate';
import { connectionConfig } from '../../src/db/pool';
import { createPrisma, type PrismaClient } from '../../src/db/prisma';
import { createEventStore, EVENTS_CHANNEL, Notifier, type EventStore } from '../../src/eventstore';
import { eventDecoder, type EventsOf } from '../../src/commands/event-decoder';
import { DEFAULT_INPUT_LIMITS } from '../../src/shared/input-limits';
import { commandIds } from '../../src/commands/command-ids';
import { createDatabaseBefore, type TestDatabase } from '../support/database';

// Commands recorded before commandIds were scoped to their caller (migration 20261130000000_command_id_scope):
// each keeps working for whoever sent it, and for nobody else.

const SCOPED = '20261130000000_command_id_scope';
const PAYLOADS = { Noted: z.object({ note: z.string() }) };
type Noted = EventsOf<typeof PAYLOADS>;
const notes: Aggregate<string[], Noted> = {
  type: 'Notes',
  snapshotVersion: 1,
  initial: [],
  ownerOf: () => null,
  decode: eventDecoder('Notes', PAYLOADS, {}),
  evolve: (state, event) => [...state, event.data.note],
};
const options: CommandOptions = {
  retries: 0,
  snapshotEvery: 0,
  limits: DEFAULT_INPUT_LIMITS,
  defaultCurrency: 'EUR',
  logger: { warn: () => undefined },
};
/** The ids of a command its sender gave this commandId. */
const sent = (commandId: string) => commandIds({ commandId }, {}, DEFAULT_INPUT_LIMITS.idLength);

const note = (text: string, meta: Command<string[], Noted>['meta']): Command<string[], Noted> => ({
  aggregate: notes,
  aggregateId: randomUUID(),
  commandType: 'Note',
  input: { text },
  creates: true,
  decide: () => [{ type: 'Noted', data: { note: text } }],
  meta,
});

let db: TestDatabase;
const url = () => db.url;
let pool: Pool;
let notifier: Notifier;
let prisma: PrismaClient;
let store: EventStore;

beforeAll(async () => {
  // The migrations before this one, on their own, as a database that has not had it yet would be.
  db = await createDatabaseBefore(SCOPED);
  pool = new Pool({ connectionString: url(), max: 4 });
  pool.on('error', () => undefined);
  notifier = new Notifier(pool, connectionConfig(url()), { warn: () => undefined });
  prisma = createPrisma(pool);
  store = createEventStore(prisma, pool, notifier.channel(EVENTS_CHANNEL));
});
afterAll(async () => {
  await notifier?.close();
  await prisma?.$disconnect();
  await pool?.end();
  await db?.drop();
});

/** A command as the unscoped schema recorded it: its events, and a record keyed by the commandId alone. */
async function recordedBefore(commandId: string, text: string, userId: string | null) {
  const aggregateId = randomUUID();
  const { events, version } = await store.append({
    aggregateId,
    aggregateType: 'Notes',
    expectedVersion: 'no-stream',
    events: [{ eventType: 'Noted', payload: { note: text } }],
    metadata: { correlationId: commandId, causationId: commandId, userId },
  });
  // The request hash as the command side computes it: the command type and the input, stably serialised.
  const requestHash = createHash('sha256')
    .update(stableStringify({ commandType: 'Note', input: { text } }))
    .digest('hex');
  await pool.query(
    `INSERT INTO processed_commands (command_id, command_type, request_hash, aggregate_id, version, first_position,
      last_position) VALUES ($1, 'Note', $2, $3, $4, $5, $5)`,
    [commandId, requestHash, aggregateId, version, events[0]!.position],
  );
  return { aggregateId, eventId: events[0]!.eventId };
}

it("keeps each earlier command replaying for the user who sent it (or for internal callers), and frees its key for everyone else's", async () => {
  const byUser = await recordedBefore('shared-key', 'from u-1', 'u-1');
  const internal = await recordedBefore('internal-key', 'from no one', null);
  // This migration, and any written after it.
  const pending = (await listMigrations()).map(({ name: migration }) => migration).filter((m) => m >= SCOPED);
  expect(await migrate(url())).toEqual(pending);
  expect(pending[0]).toBe(SCOPED);

  const count = async () => (await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM events')).rows[0]!.n;
  const before = await count();
  const replayed = await handleCommand(store, note('from u-1', { ids: sent('shared-key'), userId: 'u-1' }), options);
  expect(replayed).toMatchObject({ aggregateId: byUser.aggregateId, version: 1, state: ['from u-1'] });
  expect(replayed.events.map((e) => e.eventId)).toEqual([byUser.eventId]);
  const internalReplay = await handleCommand(store, note('from no one', { ids: sent('internal-key') }), options);
  expect(internalReplay.events.map((e) => e.eventId)).toEqual([internal.eventId]);
  expect(await count()).toBe(before);

  // The same user with another input still conflicts; another user's identical key is a command of his own.
  await expect(
    handleCommand(store, note('changed', { ids: sent('shared-key'), userId: 'u-1' }), options),
  ).rejects.toMatchObject({ code: 'IDEMPOTENCY_CONFLICT' });
  const others = await handleCommand(store, note('from u-2', { ids: sent('shared-key'), userId: 'u-2' }), options);
  expect(others.aggregateId).not.toBe(byUser.aggregateId);
  expect(others.state).toEqual(['from u-2']);
  expect(await count()).toBe(before + 1);
});
