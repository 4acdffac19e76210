import { InvalidInput } from '../shared/errors';

/** The largest page of the `events` query. */
export const MAX_EVENTS_PAGE = 1000;
/** The largest page of `orders` and `Customer.orders`. */
export const MAX_ORDERS_PAGE = 500;

/**
 * The page size `first` asks for (`fallback` when absent): 0 to `max`, refused otherwise before anything is read.
 * The query-cost model counts a page at this size (query-cost.ts), so both read the caps from here.
 */
export function pageSize(first: number | null | undefined, fallback: number, max: number): number {
  const limit = first ?? fallback;
  if (!Number.isInteger(limit) || limit < 0 || limit > max) {
    throw new InvalidInput(`first must be between 0 and ${max}`, 'first');
  }
  return limit;
}
