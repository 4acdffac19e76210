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

// A keyset cursor names the ordering it belongs to beside the key it holds, so one from another ordering is
// refused rather than read as a place it is not.
const KEYSET_PREFIX = 'k:';
/** Room for the longest key this server puts in one (a customer's name of 200 characters, as UTF-8, and an id). */
const MAX_KEYSET_CURSOR_LENGTH = 2048;

/** A cursor for the row at `key` (the sort key's values as text) in lists sorted by `ordering`. */
export function encodeKeysetCursor(ordering: string, key: readonly string[]): string {
  return Buffer.from(KEYSET_PREFIX + JSON.stringify([ordering, ...key])).toString('base64url');
}

/** What a keyset cursor holds, or undefined for text that is not one. */
export function readKeysetCursor(cursor: string): { ordering: string; key: string[] } | undefined {
  if (cursor.length > MAX_KEYSET_CURSOR_LENGTH) return undefined;
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!text.startsWith(KEYSET_PREFIX)) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text.slice(KEYSET_PREFIX.length));
  } catch {
    return undefined;
  }
  if (!Array.isArray(parsed) || parsed.length < 2 || !parsed.every((part) => typeof part === 'string')) {
    return undefined;
  }
  const [ordering, ...key] = parsed as string[];
  return { ordering: ordering!, key };
}

/** A keyset cursor's key for a list sorted by `ordering`: one of another ordering, or an unparsable key, is refused. */
export function keysetKey(
  keyset: { ordering: string; key: string[] },
  ordering: string,
  parses: (key: readonly string[]) => boolean,
  field: string,
): string[] {
  if (keyset.ordering !== ordering) {
    throw new InvalidInput(
      `${field} is a cursor of another ordering (${keyset.ordering}): use it with that orderBy`,
      field,
    );
  }
  if (!parses(keyset.key)) throw new InvalidInput(`${field} is not a cursor this server issued`, field);
  return keyset.key;
}
