import type { Pool } from 'pg';
import { isTransient } from '../db/sql-errors';
import type { EventStore } from '../eventstore';
import { lockCheckpoint } from '../log/checkpoints';
import { inBatchTransaction } from '../log/commit';
import { markSkipped, parkedEvent, parkedOfAggregate, recordAttempt, unpark } from '../log/parked';
import { InvalidInput, NotFound } from '../shared/errors';
import type { Projector } from './types';

/** What an operator does with a parked event: apply it again, or drop it. */
export type Resolution = 'retry' | 'skip';

/**
 * Resolves a projector's parked event and the events of its aggregate held behind it, in one transaction with
 * removing their rows: `retry` applies it and then them, `skip` drops it (its row kept as the record a rebuild
 * follows) and applies them, each in log order. The
 * first that fails again stays parked (with the error and one attempt more) and the rest wait behind it. The
 * transaction holds the projector's checkpoint row, so no batch of the projector holds a new event of that
 * aggregate behind rows this removes, or applies one before them. Refused while the projector rebuilds.
 */
export async function resolveParked(
  deps: { batchPool: Pool; store: EventStore; projector: Projector },
  eventId: string,
  how: Resolution,
): Promise<void> {
  const { batchPool, store, projector } = deps;
  const name = projector.name;
  await inBatchTransaction(batchPool, async (client) => {
    // A rebuild reads the skipped events once it is REBUILDING, and its parked rows replace these at its swap.
    if ((await lockCheckpoint(client, name)) === 'REBUILDING') {
      throw new InvalidInput(`projection ${name} is rebuilding: its parked events are replaced when it finishes`);
    }
    const head = await parkedEvent(client, name, eventId);
    if (!head) throw new NotFound('Parked event', eventId);
    if (head.heldBehind !== null) {
      throw new InvalidInput(
        `event ${eventId} waits behind ${head.heldBehind}, parked before it: retry or skip that one`,
        'eventId',
      );
    }
    const rows = await parkedOfAggregate(client, name, head.aggregateId);
    const ids = rows.map((r) => r.eventId);
    const found = new Map((await store.readEvents(ids)).map((e) => [e.eventId, e]));
    const events = rows.map((r) => found.get(r.eventId)!);
    const tx = { client, table: (t: string) => t };
    const resolved: string[] = [];
    if (how === 'skip') await markSkipped(client, name, eventId);
    for (const [i, event] of events.entries()) {
      if (how === 'skip' && i === 0) continue;
      // Each event on its own, so that a failure undoes its writes alone and leaves those before it applied.
      await client.query('SAVEPOINT parked_event');
      try {
        const batch = await projector.apply([event], tx);
        await batch.write(tx);
        await client.query('RELEASE SAVEPOINT parked_event');
        resolved.push(event.eventId);
      } catch (error) {
        if (isTransient(error)) throw error;
        await client.query('ROLLBACK TO SAVEPOINT parked_event');
        const message = error instanceof Error ? error.message : String(error);
        await recordAttempt(client, name, event.eventId, message, ids.slice(i + 1));
        break;
      }
    }
    await unpark(client, name, resolved);
  });
}
