import type { Db } from '../db/prisma';
import { EVENT_COLUMNS, toStoredEvent, type EventRow } from './rows';
import type { StoredEvent } from './types';

/** An event id as the store issues them (randomUUID, lower case): nothing else can be one, nor reach the uuid cast. */
const EVENT_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The events with these ids, in no order; with `ownerId`, only that owner's (another's read as missing). */
export async function readEvents(db: Db, eventIds: readonly string[], ownerId?: string): Promise<StoredEvent[]> {
  const ids = eventIds.filter((id) => EVENT_ID.test(id));
  if (ids.length === 0) return [];
  // Unsafe only in name: the text is fixed (EVENT_COLUMNS is this module's); every value is a parameter.
  const rows = await db.$queryRawUnsafe<EventRow[]>(
    `SELECT ${EVENT_COLUMNS} FROM events WHERE event_id = ANY($1::uuid[]) AND ($2::text IS NULL OR owner_id = $2)`,
    ids,
    ownerId ?? null,
  );
  return rows.map(toStoredEvent);
}
