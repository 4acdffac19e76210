import { collectSubFields } from '@graphql-tools/utils';
import { getNamedType, isObjectType, type GraphQLResolveInfo } from 'graphql';
import type { PageRequest } from '../projections/keyset';
import type { PageInfo } from '../generated/graphql';
import { InvalidInput } from '../shared/errors';

/** The largest page of the `events` query. */
export const MAX_EVENTS_PAGE = 1000;
/** The largest page of `orders` and `Customer.orders`. */
export const MAX_ORDERS_PAGE = 500;

/** The largest page of `customers`. */
export const MAX_CUSTOMERS_PAGE = 500;
/** The page size of `orders`, `Customer.orders` and `customers` without `first` or `last`. */
export const DEFAULT_PAGE = 20;

/**
 * The page size `first` (or `last`: `field`) asks for (`fallback` when absent): 0 to `max`, refused otherwise
 * before anything is read. The query cost counts a page at the size given (schema.graphql's `@listSize`, as a
 * gateway reading it would), so one beyond the cap is refused either here or, when it costs more than
 * QUERY_MAX_COST, before it runs.
 */
export function pageSize(first: number | null | undefined, fallback: number, max: number, field = 'first'): number {
  const limit = first ?? fallback;
  if (!Number.isInteger(limit) || limit < 0 || limit > max) {
    throw new InvalidInput(`${field} must be between 0 and ${max}`, field);
  }
  return limit;
}

export type PagingArgs = {
  first?: number | null;
  after?: string | null;
  last?: number | null;
  before?: string | null;
};

/**
 * The page Relay's arguments ask for: `first` (and `after`) forward, `last` (and `before`) backward, one way only
 * (both `first` and `last`, or a cursor of the other way, is BAD_USER_INPUT). `cursorKey` reads a cursor for the
 * list's ordering, refusing one it cannot use.
 */
export function pageRequest(
  args: PagingArgs,
  max: number,
  cursorKey: (cursor: string, field: 'after' | 'before') => string[],
): PageRequest {
  const { first, after, last, before } = args;
  if (first != null && last != null) throw new InvalidInput('give first or last, not both', 'last');
  if (after && before) throw new InvalidInput('give after or before, not both', 'before');
  if (first != null && before) throw new InvalidInput('before pages backward: use it with last', 'before');
  if (last != null && after) throw new InvalidInput('after pages forward: use it with first', 'after');
  if (last != null || before) {
    return {
      size: pageSize(last, DEFAULT_PAGE, max, 'last'),
      backward: true,
      cursor: before ? cursorKey(before, 'before') : undefined,
    };
  }
  return {
    size: pageSize(first, DEFAULT_PAGE, max),
    backward: false,
    cursor: after ? cursorKey(after, 'after') : undefined,
  };
}

/** A page's PageInfo: its first and last items' cursors (none when it is empty) and where it stands. */
export function pageInfo<T>(
  items: readonly T[],
  cursor: (item: T) => string,
  page: { hasNextPage: boolean; hasPreviousPage: boolean },
): PageInfo {
  const [start, end] = [items[0], items.at(-1)];
  return {
    hasNextPage: page.hasNextPage,
    hasPreviousPage: page.hasPreviousPage,
    startCursor: start === undefined ? null : cursor(start),
    endCursor: end === undefined ? null : cursor(end),
  };
}

/**
 * Whether the operation selects `field` on the connection this resolver returns (through fragments, and minding
 * @skip and @include), so that what costs a read of its own (a connection's totalCount) is read only when asked
 * for, and then together with the page.
 */
export function selects(info: GraphQLResolveInfo, field: string): boolean {
  const type = getNamedType(info.returnType);
  if (!isObjectType(type)) return false;
  const { fields } = collectSubFields(info.schema, info.fragments, info.variableValues, type, [...info.fieldNodes]);
  return [...fields.values()].some((nodes) => nodes.some((node) => node.name.value === field));
}
