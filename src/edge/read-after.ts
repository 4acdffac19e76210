import { GraphQLError } from 'graphql';
import type { EventStore } from '../eventstore';
import { MAX_POSITION, positionFromDigits } from '../graphql-kit/cursor';
import type { ErrorCode } from '../shared/errors';

/**
 * The request header by which a client has an instance's query tables show a write another instance answered: the
 * `position` that mutation answered with. The instance that answered needs none (see graphql-kit/read-your-writes.ts).
 */
export const READ_AFTER_HEADER = 'read-after-position';

/** What the header is checked against: how far this process has read the log, and the log itself. */
export type LogKnowledge = { tailer: { readonly head: bigint }; store: Pick<EventStore, 'countEvents'> };

/**
 * The header's position, if it names one the log has reached. One beyond the newest event is refused rather than
 * waited for: a read held until READ_MODEL_WAIT_MS would tell its caller, by how long it took, when someone else
 * next wrote.
 */
export async function readAfterPosition(
  value: string | string[] | undefined,
  log: LogKnowledge,
): Promise<bigint | undefined> {
  if (value === undefined) return undefined;
  const position = typeof value === 'string' ? positionFromDigits(value.trim()) : undefined;
  if (position === undefined) {
    throw refused(
      'Read-After-Position must be one log position, as a mutation answered it (a string of at most 19 digits)',
    );
  }
  // Up to the tailer's head the log is known to have it. Past it may lie what another instance (or this one) has
  // just committed, which the tailer has yet to read (or cannot yet: an older transaction still open holds it back),
  // so the log is asked: the events at or after the position are only those few, found on the position's index.
  if (position > log.tailer.head && (await log.store.countEvents(position - 1n, MAX_POSITION)) === 0) {
    throw refused(
      'Read-After-Position is beyond the newest event in the log: send a position a mutation answered with',
    );
  }
  return position;
}

function refused(message: string): GraphQLError {
  return new GraphQLError(message, {
    extensions: { code: 'BAD_USER_INPUT' satisfies ErrorCode, field: 'Read-After-Position', http: { status: 400 } },
  });
}
