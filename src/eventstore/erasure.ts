import type { PrismaClient } from '../db/prisma';
import type { PersonalData } from './personal-data';
import { deleteSnapshotsOf } from './snapshots';
import { ERASED_REQUEST_HASH } from './types';

/**
 * Forgets a subject (a customer), in one transaction: deletes their data key (its row stays as the tombstone), so
 * every value sealed under it reads as null from then on; erases in place the personal fields an earlier release
 * wrote in the clear (see below); and deletes the snapshots of their aggregates, which were sealed under that key.
 * Idempotent.
 *
 * Events written before personal fields were encrypted hold them in the clear, and deleting a key does not reach
 * them: those values, and only those, are replaced by `{"$erased": true}`, as an append after forgetting writes
 * them. The log is immutable in what it says happened: which event, when, to which aggregate, with which amounts
 * and items. A person's name in it is not such a fact, and the law that asks for its erasure leaves no other way to
 * erase it; every other byte of those events stays as written.
 */
export async function forgetSubject(prisma: PrismaClient, personal: PersonalData, subjectId: string): Promise<void> {
  await prisma.$transaction(async (tx) => {
    await personal.keys.erase(subjectId, tx);
    for (const [eventType, fields] of Object.entries(personal.fields)) {
      for (const field of fields) {
        await tx.$executeRaw`
          UPDATE events SET payload = jsonb_set(payload, ARRAY[${field}], '{"$erased": true}'::jsonb)
          WHERE owner_id = ${subjectId} AND event_type = ${eventType}
            AND jsonb_typeof(payload -> ${field}) NOT IN ('object', 'null')`;
      }
    }
    await deleteSnapshotsOf(tx, subjectId);
    await tx.$executeRaw`
      UPDATE processed_commands SET request_hash = ${ERASED_REQUEST_HASH}
      WHERE request_hash <> ${ERASED_REQUEST_HASH}
        AND (aggregate_id = ${subjectId}
             OR aggregate_id IN (SELECT DISTINCT aggregate_id FROM events WHERE owner_id = ${subjectId}))`;
  });
}
