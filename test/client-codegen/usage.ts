import type {
  CurrencyCode,
  CustomersQuery,
  NodesQuery,
  OrderTrailQuery,
  PlaceOrderMutation,
  PlaceOrderMutationVariables,
  PricyOrdersQuery,
  RecentOrdersQuery,
  ViewerQuery,
} from './gql/graphql';

// Code a frontend would write against the generated types. Each `@ts-expect-error` proves a type is narrow (a
// misuse is caught), not `any`: tsc fails on an expect-error line that has no error.

export function greeting(data: ViewerQuery): string {
  const role: 'CUSTOMER' | 'STAFF' | 'ADMIN' = data.viewer.role;
  // @ts-expect-error a role is one of the enum's values, not any string
  const unknownRole: typeof data.viewer.role = 'OWNER';
  return `${data.viewer.subject} (${role}${unknownRole}) ${data.viewer.customer?.name ?? ''}`;
}

export function describeNodes(data: NodesQuery): string[] {
  return data.nodes.map((node) => {
    if (node === null) return 'hidden or unknown';
    if (node.__typename === 'Order') return `order ${node.id}: ${node.status} for ${node.customerId}`;
    if (node.__typename === 'Customer') {
      // @ts-expect-error a customer has no status: the fragment on Order does not leak into it
      void node.status;
      return `customer ${node.email}`;
    }
    return `event ${node.id}`;
  });
}

export const input: PlaceOrderMutationVariables = {
  input: { customerId: 'c', items: [{ productId: 'p', quantity: 1, unitPrice: '1.00' }] },
};

// @ts-expect-error items are required
export const missingItems: PlaceOrderMutationVariables = { input: { customerId: 'c' } };

export function placed(data: PlaceOrderMutation): string | undefined {
  const result = data.placeOrder;
  return result ? `${result.aggregateId}@${result.position} ${result.order?.status ?? ''}` : undefined;
}

export function trail(data: OrderTrailQuery): string[] {
  return data.orderHistory.map((event) => {
    switch (event.__typename) {
      case 'OrderPlaced':
        return `${event.version} placed ${event.total.amount} ${event.total.currencyCode}, ${event.items.length} items`;
      case 'OrderPaid':
        return `${event.version} paid ${event.amount.amount} ${event.amount.currencyCode}`;
      case 'OrderCancelled':
        // @ts-expect-error a cancellation has no amount: the fragment on OrderPaid does not leak into it
        return `${event.version} cancelled: ${event.reason ?? ''} ${event.amount}`;
      default:
        return `${event.version} ${event.eventType}`;
    }
  });
}

export const euros: CurrencyCode = 'EUR';
// @ts-expect-error a currency is one of ISO 4217's codes
export const notACurrency: CurrencyCode = 'EURO';

export function customerLine(data: CustomersQuery): string {
  return data.customers.nodes
    .map((c) => `${c.name}: ${c.lifetimeSpend.map((m) => `${m.amount} ${m.currencyCode}`).join(', ')}`)
    .join('; ');
}

export function pricy(data: PricyOrdersQuery, recent: RecentOrdersQuery): string | null | undefined {
  return data.orders.pageInfo.hasPreviousPage ? data.orders.pageInfo.startCursor : recent.orders.nodes[0]?.updatedAt;
}
