import type { Statements } from '../../src/log/commit';

/**
 * A seam on one projector's live batches (`StartOptions.projection.beforeCommit`): `hold()` keeps its next batch
 * open after its writes and checkpoint, before COMMIT, and resolves once the batch is held there; `letGo()` lets
 * it commit. "The projector has not got there yet" is then a state a test controls rather than a race it hopes
 * to win. Call `letGo` after each test too, so that a test failing while it holds leaves no batch waiting.
 */
export function heldProjector(name: string) {
  let held: Promise<void> | undefined;
  let release: () => void = () => undefined;
  let holding: () => void = () => undefined;
  return {
    beforeCommit: async (projector: string, _tx: Statements): Promise<void> => {
      if (projector !== name || !held) return;
      holding();
      await held;
    },
    hold(): Promise<void> {
      held = new Promise((resolve) => (release = resolve));
      return new Promise((resolve) => (holding = resolve));
    },
    letGo(): void {
      held = undefined;
      release();
    },
  };
}
