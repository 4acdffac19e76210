import { QueryTooComplex, SubscriberTooSlowError } from '../shared/errors';
import { LiveListTooLarge, type ListChange } from '../subscriptions/list-membership';
import { SubscriberTooSlow } from '../subscriptions/row-updates';
import type { GraphQLContext } from './context';

/** A read-model subscription's `resolve`: the row as it was pushed, or the error that ends a subscriber too slow. */
export function liveRow<Row>(value: Row | SubscriberTooSlow, _args: unknown, context: GraphQLContext): Row {
  if (value instanceof SubscriberTooSlow) throw new SubscriberTooSlowError(context.services.config.subscriptionBuffer);
  return value;
}

/** A live list's message as pushed, or the error that ends the list (too large, or its subscriber too slow). */
export function liveListChange<Row>(
  value: ListChange<Row> | LiveListTooLarge | SubscriberTooSlow,
  args: unknown,
  context: GraphQLContext,
): ListChange<Row> {
  if (value instanceof LiveListTooLarge) throw liveListTooLarge(value.limit);
  return liveRow(value, args, context);
}

/** More rows than a live list may hold: refused at the start, or the list's end when it grows past it. */
export function liveListTooLarge(limit: number): QueryTooComplex {
  return new QueryTooComplex(
    'liveList',
    limit,
    undefined,
    `A live list holds at most ${limit} rows (LIVE_LIST_LIMIT) and this filter matches more: narrow the filter, ` +
      'or follow the rows with a query and its pages.',
  );
}
