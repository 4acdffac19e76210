import type { NodesQuery, PlaceOrderMutation, PlaceOrderMutationVariables, ViewerQuery } from './gql/graphql';

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
