/** A NOTIFY an append's statement sends itself, at its commit (see WakeUps.send). */
export type Notification = { channel: string; payload: string };

/**
 * Whether the stream's row `s` was last written by a transaction newer than this one: one that held it as a
 * condition (`expectStreams`, see groupStatement) while this append waited for its lock. Appending after it would
 * give this stream's events positions before the events that relied on the stream's old version, though they
 * committed first; such an append writes nothing and is made again, in a newer transaction (see refusal).
 * `age` counts from this transaction's id or, before it has one, from the next id to be given, which is at most
 * this transaction's: a doubtful case is refused, never let through.
 */
export const HELD_BY_NEWER = 'age(s.xmin) < 0';
