import type { Db } from '../db/prisma';
import type { ProcessedCommand } from './types';

/** The record an earlier append left for this commandId, if any. */
export async function findProcessedCommand(db: Db, commandId: string): Promise<ProcessedCommand | undefined> {
  const row = await db.processedCommand.findUnique({
    where: { commandId },
    select: {
      commandId: true,
      commandType: true,
      requestHash: true,
      aggregateId: true,
      version: true,
      firstPosition: true,
      lastPosition: true,
    },
  });
  return row ?? undefined;
}
