import { graphql } from './gql';

// Every operation the example sends. `npm run generate` reads this file (codegen.ts) and types each document from
// schema.graphql: graphql() returns a TypedDocumentNode carrying its result and variables types.

// An amount with its currency, as every amount of the API comes (Money).
export const Amount = graphql(`
  fragment Amount on Money {
    amount
    currencyCode
  }
`);

export const RegisterCustomer = graphql(`
  mutation RegisterCustomer($input: RegisterCustomerInput!) {
    registerCustomer(input: $input) {
      customer {
        id
        name
        email
      }
    }
  }
`);

export const PlaceOrder = graphql(`
  mutation PlaceOrder($input: PlaceOrderInput!) {
    placeOrder(input: $input) {
      order {
        id
        status
        version
        total {
          ...Amount
        }
      }
    }
  }
`);

export const PayOrder = graphql(`
  mutation PayOrder($input: PayOrderInput!) {
    payOrder(input: $input) {
      order {
        id
        status
        version
        paidAt
        total {
          ...Amount
        }
      }
    }
  }
`);

export const OrderChanged = graphql(`
  subscription OrderChanged($orderId: ID!) {
    orderChanged(orderId: $orderId) {
      id
      status
      version
      total {
        ...Amount
      }
      paidAt
    }
  }
`);

// Each event is the object type of its eventType: fragments on the types select their payloads' fields, typed.
export const OrderEvents = graphql(`
  query OrderEvents($orderId: ID!) {
    events(filter: { aggregateId: $orderId }, first: 10) {
      nodes {
        __typename
        id
        version
        timestamp
        ... on OrderPlaced {
          total {
            ...Amount
          }
          items {
            productId
            quantity
          }
        }
        ... on ItemAdded {
          item {
            productId
            quantity
          }
        }
        ... on OrderPaid {
          amount {
            ...Amount
          }
        }
        ... on OrderCancelled {
          reason
        }
      }
    }
  }
`);

export const CustomerOrders = graphql(`
  query CustomerOrders($customerId: ID!, $first: Int!, $after: String) {
    orders(filter: { customerId: $customerId }, first: $first, after: $after) {
      nodes {
        id
        status
        total {
          ...Amount
        }
        itemCount
      }
      pageInfo {
        endCursor
        hasNextPage
      }
    }
  }
`);
