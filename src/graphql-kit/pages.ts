import { collectSubFields } from '@graphql-tools/utils';
import { getNamedType, isObjectType, type GraphQLResolveInfo } from 'graphql';
import type { PageInfo } from '../generated/graphql';
import { InvalidInput } from '../shared/errors';

/** The largest page of the `events` query. */
export const MAX_EVENTS_PAGE = 1000;
/** The largest page of `orders` and `Customer.orders`. */
export const MAX_ORDERS_PAGE = 500;

/**
 * The page size `first` asks for (`fallback` when absent): 0 to `max`, refused otherwise before anything is read.
 * The query cost counts a page at `first` as given (schema.graphql's `@listSize`, as a gateway reading it would), so
 * one beyond the cap is refused either here or, when it costs more than QUERY_MAX_COST, before it runs.
 */
export function pageSize(first: number | null | undefined, fallback: number, max: number): number {
  const limit = first ?? fallback;
  if (!Number.isInteger(limit) || limit < 0 || limit > max) {
    throw new InvalidInput(`first must be between 0 and ${max}`, 'first');
  }
  return limit;
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
