import { randomUUID } from 'node:crypto';
import { httpClient, subscribe, wsClient } from './client';
import type {
  CustomerOrdersQuery,
  OrderChangedSubscription,
  OrderEventsQuery,
  PayOrderMutation,
  PlaceOrderMutation,
  RegisterCustomerMutation,
} from './gql/graphql';
import { CustomerOrders, OrderChanged, OrderEvents, PayOrder, PlaceOrder, RegisterCustomer } from './operations';

export type ExampleOptions = {
  /** The GraphQL endpoint, e.g. http://127.0.0.1:4000/graphql; graphql-ws is on the same URL. */
  url: string;
  /** A staff or admin token: registering a customer is theirs to do. */
  token: string;
  /** Orders per page when paging through the customer's orders (1 makes even two orders two pages). */
  pageSize?: number;
  log?: (line: string) => void;
};

type Present<T> = Exclude<T, null | undefined>;
type Customer = Present<Present<RegisterCustomerMutation['registerCustomer']>['customer']>;
type PlacedOrder = Present<Present<PlaceOrderMutation['placeOrder']>['order']>;
type PaidOrder = Present<Present<PayOrderMutation['payOrder']>['order']>;
type OrderEvent = OrderEventsQuery['events']['nodes'][number];

export type ExampleResult = {
  customer: Customer;
  /** The order the example paid, as payOrder answered, and the one it left PLACED. */
  paid: PaidOrder;
  placed: PlacedOrder;
  /** What `orderChanged` sent for the paid order: PLACED as it stood, then PAID. */
  updates: OrderChangedSubscription['orderChanged'][];
  /** The customer's orders, newest first, page by page. */
  pages: CustomerOrdersQuery['orders']['nodes'][];
  /** The paid order's events, each described from its own typed fields. */
  history: string[];
};

/**
 * A customer's first purchase: register a customer, place two orders, watch the first over graphql-ws while
 * paying it over HTTP until the PAID state arrives, then page through the customer's orders.
 */
export async function runExample({ url, token, pageSize = 1, log = () => {} }: ExampleOptions): Promise<ExampleResult> {
  const request = httpClient(url, token);
  const ws = wsClient(url, token);
  try {
    const registered = await request(RegisterCustomer, {
      input: { name: 'Ada Lovelace', email: `ada-${randomUUID()}@example.com` },
    });
    const customer = present(registered.registerCustomer?.customer, 'registerCustomer.customer');
    log(`registered customer ${customer.id} (${customer.name})`);

    const place = async (productId: string, quantity: number, unitPrice: string) => {
      const placed = await request(PlaceOrder, {
        input: { customerId: customer.id, items: [{ productId, quantity, unitPrice }], currency: 'EUR' },
      });
      const order = present(placed.placeOrder?.order, 'placeOrder.order');
      log(`placed order ${order.id}: ${order.status}, ${order.total.amount} ${order.total.currencyCode}`);
      return order;
    };
    const first = await place('book-42', 2, '29.99');
    const placed = await place('pen', 3, '0.10');

    const updates: ExampleResult['updates'] = [];
    let paid: PaidOrder | undefined;
    for await (const { orderChanged } of subscribe(ws, OrderChanged, { orderId: first.id })) {
      updates.push(orderChanged);
      log(`orderChanged: ${orderChanged.status} (version ${orderChanged.version})`);
      if (orderChanged.status === 'PAID') break;
      // The first message is the order as it stands, so the subscription is live before the payment is sent.
      // The commandId makes the payment safe to send again: a repeat returns the first result.
      paid ??= present(
        (await request(PayOrder, { input: { orderId: first.id, commandId: `pay-${first.id}` } })).payOrder?.order,
        'payOrder.order',
      );
    }
    if (paid === undefined) throw new Error('orderChanged ended before the order was paid');
    log(`paid order ${paid.id}: ${paid.total.amount} ${paid.total.currencyCode} at ${paid.paidAt}`);

    const { events } = await request(OrderEvents, { orderId: paid.id });
    const history = events.nodes.map(describe);
    for (const line of history) log(`event: ${line}`);

    const pages: ExampleResult['pages'] = [];
    let after: string | null = null;
    do {
      const { orders }: CustomerOrdersQuery = await request(CustomerOrders, {
        customerId: customer.id,
        first: pageSize,
        after,
      });
      pages.push(orders.nodes);
      log(
        `page ${pages.length}: ${orders.nodes.map((o) => `${o.id} ${o.status} ${o.total.amount} ${o.total.currencyCode}`).join(', ')}`,
      );
      after = orders.pageInfo.hasNextPage ? orders.pageInfo.endCursor : null;
    } while (after !== null);

    return { customer, paid, placed, updates, pages, history };
  } finally {
    await ws.dispose();
  }
}

/** One line per event: `__typename` tells the event types apart, and each has its own fields. */
function describe(event: OrderEvent): string {
  switch (event.__typename) {
    case 'OrderPlaced':
      return `${event.version} placed: ${event.items.map((i) => `${i.quantity} × ${i.productId}`).join(', ')}, ${event.total.amount} ${event.total.currencyCode}`;
    case 'ItemAdded':
      return `${event.version} added ${event.item.quantity} × ${event.item.productId}`;
    case 'OrderPaid':
      return `${event.version} paid ${event.amount.amount} ${event.amount.currencyCode}`;
    case 'OrderCancelled':
      return `${event.version} cancelled${event.reason ? `: ${event.reason}` : ''}`;
    default:
      return `${event.version} ${event.__typename}`;
  }
}

/** Command results are nullable (README, "Errors"): a null one comes with the reason in `errors`, thrown before. */
function present<T>(value: T | null | undefined, what: string): T {
  if (value === null || value === undefined) throw new Error(`The server answered without ${what}`);
  return value;
}
