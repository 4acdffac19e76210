/**
 * The bounds every command input is held to. The deciders enforce them, and they are sized so that whatever they
 * admit, every column and every GraphQL type that will ever carry it holds exactly: the query tables keep amounts
 * in `numeric` without a precision cap, and the largest `itemCount` (quantity × items) fits a GraphQL Int. So no
 * event the API accepts can later fail a projector or a response.
 */
export type InputLimits = Readonly<{
  /** Customer names. */
  nameLength: number;
  /** Email addresses (RFC 5321 allows 254). */
  emailLength: number;
  productIdLength: number;
  /** Cancellation and deactivation reasons. */
  reasonLength: number;
  /** Ids a client sends: commandId, correlationId, and the ids of the customer or order a command acts on. */
  idLength: number;
  /** Units of one item. */
  quantity: number;
  /** The highest unit price (its value: it bounds a price in any currency). */
  unitPrice: string;
  /** Items in one order, over placeOrder and addItem together. */
  itemsPerOrder: number;
}>;

export const DEFAULT_INPUT_LIMITS: InputLimits = Object.freeze({
  nameLength: 200,
  emailLength: 254,
  productIdLength: 100,
  reasonLength: 500,
  idLength: 128,
  quantity: 100_000,
  unitPrice: '1000000.00',
  itemsPerOrder: 1000,
});

/** GraphQL's Int: 32-bit signed. */
export const GRAPHQL_INT_MAX = 2 ** 31 - 1;

/** Why a set of limits would let through what some read model cannot hold, or undefined if it cannot. */
export function unsafeLimits(limits: InputLimits): string | undefined {
  if (limits.quantity * limits.itemsPerOrder > GRAPHQL_INT_MAX) {
    return `quantity × items per order (${limits.quantity} × ${limits.itemsPerOrder}) must fit a GraphQL Int (${GRAPHQL_INT_MAX}), the type of Order.itemCount`;
  }
  return undefined;
}
