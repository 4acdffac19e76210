import type { Db } from '../db/prisma';
import { ConcurrencyConflict } from '../shared/errors';
import { findProcessedCommand } from './processed-commands';
import type { AppendRequest, ExpectedVersion } from './types';

/** Another request with the same commandId committed first; the caller returns that request's result. */
export class DuplicateCommand extends Error {
  constructor(readonly commandId: string) {
    super(`command ${commandId} was already processed`);
  }
}

/** The conflict of an append whose stream is not at the version it expected. */
export async function conflict(db: Db, aggregateId: string, expected: ExpectedVersion): Promise<ConcurrencyConflict> {
  const stream = await db.stream.findUnique({ where: { aggregateId }, select: { version: true } });
  const expectedNumber = typeof expected === 'number' ? expected : 0;
  return new ConcurrencyConflict(aggregateId, expectedNumber, stream?.version ?? 0);
}

/**
 * Why an append wrote nothing, read after its statement: its commandId was recorded before, its stream or one of
 * the streams it expected (`expectStreams`) is not at the version it expected, or else (`again`) every version
 * held, and its stream's row had been held by a newer transaction while the append waited for it (HELD_BY_NEWER):
 * the same append, made again, commits after that transaction and numbers its events after it.
 */
export async function refusal(db: Db, request: AppendRequest): Promise<Error | 'again'> {
  if (request.command && (await findProcessedCommand(db, request.command.scope, request.command.commandId))) {
    return new DuplicateCommand(request.command.commandId);
  }
  const conditions = request.expectStreams ?? [];
  const rows = await db.stream.findMany({
    where: { aggregateId: { in: [request.aggregateId, ...conditions.map((c) => c.aggregateId)] } },
    select: { aggregateId: true, version: true },
  });
  const versionOf = (aggregateId: string) => rows.find((r) => r.aggregateId === aggregateId)?.version ?? 0;
  const expected = request.expectedVersion;
  const own = versionOf(request.aggregateId);
  if (expected === 'no-stream' && own !== 0) return new ConcurrencyConflict(request.aggregateId, 0, own);
  if (typeof expected === 'number' && own !== expected) {
    return new ConcurrencyConflict(request.aggregateId, expected, own);
  }
  for (const condition of conditions) {
    const actual = versionOf(condition.aggregateId);
    if (actual !== condition.version) return new ConcurrencyConflict(condition.aggregateId, condition.version, actual);
  }
  return 'again';
}

/** How often an append refused only because newer transactions held its stream is made again, before it gives up. */
export const HELD_ATTEMPTS = 5;
