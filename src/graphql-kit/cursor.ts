import { InvalidInput } from '../shared/errors';

// Cursors are opaque to clients so that what they encode (today the position, which already packs the pair
// (transaction id, index) the reader pages by) can change without breaking anyone who stored one.
const PREFIX = 'p:';

export function encodeCursor(position: bigint): string {
  return Buffer.from(PREFIX + position.toString()).toString('base64url');
}

/** Positions are PostgreSQL bigints: anything larger cannot be one, and would fail the query as an internal error. */
export const MAX_POSITION = 2n ** 63n - 1n;
const DIGITS = /^\d{1,19}$/;
/** Longer than any cursor this server issues; nothing longer is decoded. */
const MAX_CURSOR_LENGTH = 64;

/** A position as text (at most 19 digits and within a bigint), or undefined. */
export function positionFromDigits(text: string): bigint | undefined {
  if (!DIGITS.test(text)) return undefined;
  const position = BigInt(text);
  return position <= MAX_POSITION ? position : undefined;
}

/** Accepts a cursor from any earlier event, or a bare position (a string of digits). */
export function decodeCursor(cursor: string, field = 'after'): bigint {
  if (cursor.length <= MAX_CURSOR_LENGTH) {
    const bare = positionFromDigits(cursor);
    if (bare !== undefined) return bare;
    const text = Buffer.from(cursor, 'base64url').toString('utf8');
    const position = text.startsWith(PREFIX) ? positionFromDigits(text.slice(PREFIX.length)) : undefined;
    if (position !== undefined) return position;
  }
  throw new InvalidInput(`${field} is not a cursor this server issued`, field);
}
