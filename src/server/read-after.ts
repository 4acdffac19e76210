import { GraphQLError } from 'graphql';
import { positionFromDigits } from '../graphql/cursor';

/**
 * The request header by which a client has an instance's query tables show a write another instance answered: the
 * `position` that mutation answered with. The instance that answered needs none (see graphql/read-your-writes.ts).
 */
export const READ_AFTER_HEADER = 'read-after-position';

export function readAfterPosition(value: string | string[] | undefined): bigint | undefined {
  if (value === undefined) return undefined;
  const position = typeof value === 'string' ? positionFromDigits(value.trim()) : undefined;
  if (position !== undefined) return position;
  throw new GraphQLError(
    'Read-After-Position must be one log position, as a mutation answered it (a string of at most 19 digits)',
    { extensions: { code: 'BAD_USER_INPUT', field: 'Read-After-Position', http: { status: 400 } } },
  );
}
