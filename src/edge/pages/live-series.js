// @ts-check
/* exported secondsSeries */
// Figures over the last minutes, for the live page's charts: one value per second, read back in steps of several
// seconds. Seconds older than the window are dropped as new ones come, so a page left open for days holds no more
// than one just opened.

/**
 * A value per second over the last `windowMs`: events counted (`add`) or samples taken (`set`). A second with no
 * value is unknown (the page was not following then), which a chart shows as a gap rather than as a zero; `cover`
 * says that seconds were followed, so those without an event count as 0.
 * @param {number} windowMs
 */
function secondsSeries(windowMs) {
  /** @type {Map<number, number>} */
  const values = new Map();
  const second = (/** @type {number} */ t) => Math.floor(t / 1000);
  function prune() {
    const oldest = second(Date.now() - windowMs);
    for (const s of values.keys()) if (s < oldest) values.delete(s);
  }
  return {
    /** Counts `n` more at the instant `t` (ms). */
    add(/** @type {number} */ t, n = 1) {
      if (t < Date.now() - windowMs) return;
      const known = values.get(second(t));
      values.set(second(t), (known ?? 0) + n);
      // A second already there adds nothing to drop: many events a second cost one pass over the window.
      if (known === undefined) prune();
    },
    /** A sample taken at `t`: the latest in its second wins. */
    set(/** @type {number} */ t, /** @type {number} */ value) {
      values.set(second(t), value);
      prune();
    },
    /** The seconds from `from` to `to` were followed: those without a value count 0. */
    cover(/** @type {number} */ from, /** @type {number} */ to) {
      for (let s = second(Math.max(from, Date.now() - windowMs)); s <= second(to); s++)
        if (!values.has(s)) values.set(s, 0);
      prune();
    },
    /** The sum of the known seconds from `from` up to `to` (excluded). */
    sum(/** @type {number} */ from, /** @type {number} */ to) {
      let total = 0;
      for (let s = second(from); s < second(to); s++) total += values.get(s) ?? 0;
      return total;
    },
    /**
     * The window up to the last whole second before `now` in steps of `stepMs`, oldest first: each the mean per
     * second (`mean`) or the largest (`max`) of its known seconds, or null when none is known.
     * @param {number} now
     * @param {number} stepMs
     * @param {'mean' | 'max'} combine
     * @returns {(number | null)[]}
     */
    steps(now, stepMs, combine) {
      const perStep = stepMs / 1000;
      const last = second(now) - 1;
      const count = Math.round(windowMs / stepMs);
      /** @type {(number | null)[]} */
      const steps = [];
      for (let i = count - 1; i >= 0; i--) {
        let known = 0;
        let total = 0;
        let max = 0;
        for (let s = last - (i + 1) * perStep + 1; s <= last - i * perStep; s++) {
          const value = values.get(s);
          if (value === undefined) continue;
          known++;
          total += value;
          max = Math.max(max, value);
        }
        steps.push(known === 0 ? null : combine === 'mean' ? total / known : max);
      }
      return steps;
    },
  };
}
