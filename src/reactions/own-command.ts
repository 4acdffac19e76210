import type { ProjectionProgress } from '../log/fence';
import { RuleViolation } from '../shared/errors';
import type { Sent } from './types';

/**
 * Sends one of the service's own commands (a reaction's, a deadline's). What it appends joins this process's
 * read-your-writes fence, as a mutation's does: reads here then show it. One refused as moot (BUSINESS_RULE_VIOLATION:
 * the aggregate has moved on) is a no-op: `moot` hears why, and the answer is undefined. Any other failure is thrown,
 * for the caller to try again.
 */
export async function sendOwnCommand<T extends Sent>(
  run: () => Promise<T>,
  fence: Pick<ProjectionProgress, 'wrote'>,
  moot: (refusal: RuleViolation) => void,
): Promise<T | undefined> {
  try {
    const outcome = await run();
    fence.wrote(
      outcome.position,
      outcome.events.map((e) => e.eventType),
    );
    return outcome;
  } catch (error) {
    if (!(error instanceof RuleViolation)) throw error;
    moot(error);
    return undefined;
  }
}
