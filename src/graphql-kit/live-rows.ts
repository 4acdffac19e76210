import { SubscriberTooSlowError } from '../shared/errors';
import { SubscriberTooSlow } from '../subscriptions/row-updates';
import type { GraphQLContext } from './context';

/** A read-model subscription's `resolve`: the row as it was pushed, or the error that ends a subscriber too slow. */
export function liveRow<Row>(value: Row | SubscriberTooSlow, _args: unknown, context: GraphQLContext): Row {
  if (value instanceof SubscriberTooSlow) throw new SubscriberTooSlowError(context.services.config.subscriptionBuffer);
  return value;
}
