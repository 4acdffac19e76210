import type { ReadModel } from '../projections/types';
import type { GraphQLContext } from './context';

/**
 * A mutation's answer shows its own write: wait (bounded) until every projector that reads the command's events
 * has processed them, then take the row a projector in this process has just written (no read back), or else
 * read the query table. The row is the answer when it is at the command's version; when a later
 * command has already moved it on (or this is an idempotent repeat of an old command), the state folded from the
 * stream at that version is the exact answer instead.
 *
 * The command has committed by the time this runs, so nothing here may turn it into an error: a FAILED projector
 * (not waited for at all), projectors that do not get there in time, or a read that fails all answer with the
 * folded state and a warning that says which.
 */
export async function readYourWrites<T extends { version: number }>(
  context: GraphQLContext,
  result: { aggregateId: string; position: bigint; version: number; events: readonly { eventType: string }[] },
  model: { rows: ReadModel<T>; load: () => Promise<T | null> },
  folded: T,
): Promise<T> {
  const { projections, config } = context.services;
  const eventTypes = result.events.map((e) => e.eventType);
  try {
    const { reached, failed } = await projections.waitFor(result.position, eventTypes, config.readModelWaitMs);
    if (failed.length > 0) {
      context.warnings.push({
        code: 'PROJECTION_FAILED',
        message:
          `The ${failed.join(' and ')} projector${failed.length > 1 ? 's have' : ' has'} FAILED and will not apply ` +
          'this command until an operator retries it (see `projections`); the result shows the state folded from ' +
          'the event stream instead.',
        projections: failed,
      });
      return folded;
    }
    if (reached) {
      const written = projections.writtenRow(model.rows, result.aggregateId);
      if (written?.version === result.version) return written;
      const row = await model.load();
      return row?.version === result.version ? row : folded;
    }
    context.warnings.push({
      code: 'READ_MODEL_STALE',
      message:
        `The query tables had not caught up with this command within ${config.readModelWaitMs} ms; ` +
        'the result shows the state folded from the event stream instead.',
    });
  } catch (error) {
    context.logger.warn(
      { err: error, aggregateId: result.aggregateId },
      'read-your-writes failed after a committed command',
    );
    context.warnings.push({
      code: 'READ_MODEL_UNAVAILABLE',
      message: 'The query tables could not be read; the result shows the state folded from the event stream instead.',
    });
  }
  return folded;
}
