import { InvalidInput } from '../shared/errors';

// Cursors are opaque to clients so that what they encode (today the position, which already packs the pair
// (transaction id, index) the reader pages by) can change without breaking anyone who stored one.
const PREFIX = 'p:';

export function encodeCursor(position: bigint): string {
  return Buffer.from(PREFIX + position.toString()).toString('base64url');
}

/** Accepts a cursor from any earlier event, or a bare position (a string of digits). */
export function decodeCursor(cursor: string, field = 'after'): bigint {
  if (/^\d{1,20}$/.test(cursor)) return BigInt(cursor);
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  if (text.startsWith(PREFIX) && /^\d{1,20}$/.test(text.slice(PREFIX.length))) {
    return BigInt(text.slice(PREFIX.length));
  }
  throw new InvalidInput(`${field} is not a cursor this server issued`, field);
}
