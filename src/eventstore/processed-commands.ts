import type { Db } from '../db/prisma';
import type { ProcessedCommand } from './types';

/** The record an earlier append left for this commandId in this scope, if any. */
export async function findProcessedCommand(
  db: Db,
  scope: string,
  commandId: string,
): Promise<ProcessedCommand | undefined> {
  const row = await db.processedCommand.findUnique({
    where: { scope_commandId: { scope, commandId } },
    select: {
      scope: true,
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
