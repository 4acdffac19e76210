import type { GraphQLContext, Warning } from './context';

/**
 * Read-your-writes, paid for by the reads that need it rather than by every write.
 *
 * A mutation answers at once with the state folded from its aggregate's stream at the version it wrote: the fold
 * the projectors store, so exactly the row the query table holds at that version (test/e2e/read-side.test.ts
 * compares them), without waiting for a projector or reading the row back. What it committed joins this process's
 * fence, and every read of the query tables (a query, or a mutation's nested fields such as `customer`) first waits,
 * bounded, until the projectors have passed that fence: nothing when they already have, a few milliseconds right
 * after a write. So a client's next query shows its write on this instance; on another one, it sends the position
 * the mutation answered with as `Read-After-Position`, and that instance waits for it the same way.
 */
export async function answerWithOwnWrite<
  Outcome extends { position: bigint; events: readonly { eventType: string }[] },
>(context: GraphQLContext, result: Outcome): Promise<Outcome> {
  const { projections } = context.services;
  const eventTypes = result.events.map((e) => e.eventType);
  projections.fence.wrote(result.position, eventTypes);
  // Nothing is waited for here (a zero timeout), but a FAILED projector will not show this write until an operator
  // retries it: the client should know now rather than find out from a stale query. The command has committed:
  // nothing here may turn its answer into an error (a failed re-read of the checkpoints only loses the warning).
  try {
    const { failed } = await projections.fence.waitFor(result.position, eventTypes, 0);
    if (failed.length > 0) warnOnce(context, projectionFailed(failed));
  } catch (error) {
    context.logger.warn({ err: error }, 'could not tell whether a projector has FAILED after a committed command');
  }
  return result;
}

/**
 * Before a read of the query tables, or of the log through the gap-safe reader (`events`, which shows an event only
 * once every transaction that could precede it has ended, and which a projector that has passed a position has
 * therefore passed too): waits (at most READ_MODEL_WAIT_MS) until they show every command this process has
 * committed, and the client's Read-After-Position. A read that goes ahead without them carries a warning saying
 * why; it is never turned into an error, since the read side as it stands is still a valid (older) answer.
 */
export async function readsShowWrites(context: GraphQLContext): Promise<void> {
  const { projections, config } = context.services;
  const { reached, failed } = await projections.fence.waitForWrites(config.readModelWaitMs, context.readAfter);
  if (failed.length > 0) warnOnce(context, projectionFailed(failed));
  else if (!reached) {
    warnOnce(context, {
      code: 'READ_MODEL_STALE',
      message:
        `The query tables had not caught up with the commands committed before this read within ` +
        `${config.readModelWaitMs} ms; the answer may not show them yet.`,
    });
  }
}

function projectionFailed(failed: readonly string[]): Warning {
  return {
    code: 'PROJECTION_FAILED',
    message:
      `The ${failed.join(' and ')} projector${failed.length > 1 ? 's have' : ' has'} FAILED: the query tables will ` +
      'not show the latest commands until an operator retries it (see `projections`).',
    projections: [...failed],
  };
}

/** One warning of each kind per operation, however many of its fields read the tables. */
function warnOnce(context: GraphQLContext, warning: Warning): void {
  if (!context.warnings.some((w) => w.code === warning.code)) context.warnings.push(warning);
}
