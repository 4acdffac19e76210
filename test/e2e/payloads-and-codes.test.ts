import { GraphQLRequestError, httpClient } from '../../examples/typed-client/client';
import type { ErrorCode } from '../../examples/typed-client/gql/enums';
import { PayOrder } from '../../examples/typed-client/operations';
import { BUSINESS_RULES, ERROR_CODES, unlistedCodes } from '../support/error-codes';
import { rawGet, rawGraphqlPost } from '../support/raw-http';
import { startTestServer, wsRequest, type TestServer } from '../support/server';

// Each mutation's own payload type, read through the interfaces clients' fragments name; the codes and rules of
// errors as the schema's enums, seen through introspection and in what the server sends (docs/api.md, Errors).

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

const ok = (query: string, variables?: Record<string, unknown>) => server.ok(query, variables);

/** Over QUERY_MAX_ALIASES (20). */
const ALIASES = Array.from({ length: 21 }, (_, i) => `a${i}: orderStatusCounts { count }`).join(' ');

/** The fields every command answers with, selected only through the interfaces. */
const ORDER_RESULT = `__typename ... on CommandResult { aggregateId version }
  ... on OrderCommandResult { order { id status } }`;
const CUSTOMER_RESULT = `__typename ... on CommandResult { aggregateId version }
  ... on CustomerCommandResult { customer { id active } }`;

async function registerCustomer(): Promise<string> {
  const data = await ok(
    `mutation { registerCustomer(input: { name: "Ada", email: "ada@example.com" }) { ${CUSTOMER_RESULT} } }`,
  );
  expect(data.registerCustomer).toEqual({
    __typename: 'RegisterCustomerPayload',
    aggregateId: expect.any(String),
    version: 1,
    customer: { id: data.registerCustomer.aggregateId, active: true },
  });
  return data.registerCustomer.aggregateId;
}

async function placeOrder(customerId: string): Promise<string> {
  const data = await ok(
    `mutation ($customerId: ID!) {
      placeOrder(input: { customerId: $customerId, items: [{ productId: "book", quantity: 1, unitPrice: "9.99" }] }) {
        ${ORDER_RESULT}
      }
    }`,
    { customerId },
  );
  expect(data.placeOrder).toEqual({
    __typename: 'PlaceOrderPayload',
    aggregateId: expect.any(String),
    version: 1,
    order: { id: data.placeOrder.aggregateId, status: 'PLACED' },
  });
  return data.placeOrder.aggregateId;
}

describe('per-mutation payloads', () => {
  it('answers each mutation with its own type, whose fields fragments on its interfaces select', async () => {
    const customerId = await registerCustomer();
    const orderId = await placeOrder(customerId);
    const onOrder = async (mutation: string, input: string) =>
      (
        await ok(`mutation ($id: ID!) { ${mutation}(input: { orderId: $id ${input} }) { ${ORDER_RESULT} } }`, {
          id: orderId,
        })
      )[mutation];
    expect(await onOrder('addItem', ', item: { productId: "pen", quantity: 1, unitPrice: "1.00" }')).toEqual({
      __typename: 'AddItemPayload',
      aggregateId: orderId,
      version: 2,
      order: { id: orderId, status: 'PLACED' },
    });
    expect(await onOrder('payOrder', '')).toMatchObject({ __typename: 'PayOrderPayload', version: 3 });
    expect(await onOrder('shipOrder', '')).toMatchObject({ __typename: 'ShipOrderPayload', version: 4 });
    const other = await placeOrder(customerId);
    const cancelled = await ok(`mutation ($id: ID!) { cancelOrder(input: { orderId: $id }) { ${ORDER_RESULT} } }`, {
      id: other,
    });
    expect(cancelled.cancelOrder).toEqual({
      __typename: 'CancelOrderPayload',
      aggregateId: other,
      version: 2,
      order: { id: other, status: 'CANCELLED' },
    });
    const deactivated = await ok(
      `mutation ($id: ID!) { deactivateCustomer(input: { customerId: $id }) { ${CUSTOMER_RESULT} } }`,
      { id: customerId },
    );
    expect(deactivated.deactivateCustomer).toEqual({
      __typename: 'DeactivateCustomerPayload',
      aggregateId: customerId,
      version: 2,
      customer: { id: customerId, active: false },
    });
  });

  it('shows the payloads as implementations of CommandResult and their aggregate interface in introspection', async () => {
    const data = await ok(`{
      command: __type(name: "CommandResult") { kind possibleTypes { name } }
      order: __type(name: "OrderCommandResult") { kind interfaces { name } possibleTypes { name } }
      customer: __type(name: "CustomerCommandResult") { kind interfaces { name } possibleTypes { name } }
      payload: __type(name: "PayOrderPayload") { kind interfaces { name } }
    }`);
    const names = (types: { name: string }[]) => types.map((t) => t.name).sort();
    expect(data.command.kind).toBe('INTERFACE');
    expect(names(data.command.possibleTypes)).toEqual([
      'AddItemPayload',
      'CancelOrderPayload',
      'DeactivateCustomerPayload',
      'ForgetCustomerPayload',
      'PayOrderPayload',
      'PlaceOrderPayload',
      'RegisterCustomerPayload',
      'ShipOrderPayload',
    ]);
    expect({ ...data.order, possibleTypes: names(data.order.possibleTypes) }).toEqual({
      kind: 'INTERFACE',
      interfaces: [{ name: 'CommandResult' }],
      possibleTypes: [
        'AddItemPayload',
        'CancelOrderPayload',
        'PayOrderPayload',
        'PlaceOrderPayload',
        'ShipOrderPayload',
      ],
    });
    expect({ ...data.customer, possibleTypes: names(data.customer.possibleTypes) }).toEqual({
      kind: 'INTERFACE',
      interfaces: [{ name: 'CommandResult' }],
      possibleTypes: ['DeactivateCustomerPayload', 'ForgetCustomerPayload', 'RegisterCustomerPayload'],
    });
    expect(data.payload).toEqual({
      kind: 'OBJECT',
      interfaces: [{ name: 'CommandResult' }, { name: 'OrderCommandResult' }],
    });
  });
});

describe('codes in the schema', () => {
  it('lists ErrorCode and BusinessRule in introspection, every value described', async () => {
    const data = await ok(`{
      codes: __type(name: "ErrorCode") { kind enumValues { name description } }
      rules: __type(name: "BusinessRule") { kind enumValues { name description } }
    }`);
    for (const [type, listed] of [
      [data.codes, ERROR_CODES],
      [data.rules, BUSINESS_RULES],
    ] as const) {
      expect(type.kind).toBe('ENUM');
      expect(type.enumValues.map((v: { name: string }) => v.name)).toEqual([...listed]);
      for (const value of type.enumValues) expect(value.description).toMatch(/\w/);
    }
  });

  // The test helpers check every error they see against the enums; these are the refusals of each kind, on every
  // path, with the code each must carry.
  it('sends a listed code and rule for the refusals of each kind', async () => {
    const customerId = await registerCustomer();
    const orderId = await placeOrder(customerId);
    const codeOf = (res: { errors?: { extensions?: Record<string, any> }[] }) => res.errors?.[0]?.extensions;
    const url = `${server.app.url}/graphql`;
    const authorization = (await server.as({ role: 'admin' })).authorization;
    const seen = {
      rule: codeOf(
        await server.gql('mutation ($id: ID!) { shipOrder(input: { orderId: $id }) { version } }', { id: orderId }),
      ),
      notFound: codeOf(await server.gql('mutation { payOrder(input: { orderId: "nobody" }) { version } }')),
      badInput: codeOf(await server.gql('{ orders(first: 100000) { totalCount } }')),
      parse: codeOf(await server.gql('{ orders(')),
      validation: codeOf(await server.gql('{ noSuchField }')),
      unauthenticated: codeOf(await server.gql('{ orders { totalCount } }', {}, { authorization: 'Bearer nonsense' })),
      tooComplex: codeOf(await server.gql(`{ ${ALIASES} }`)),
      persistedQuery: codeOf(
        (
          await rawGraphqlPost(
            url,
            { extensions: { persistedQuery: { version: 1, sha256Hash: 'a'.repeat(64) } } },
            { headers: { authorization } },
          )
        ).body,
      ),
      operation: codeOf(await server.gql('query A { __typename } query B { __typename }')),
      csrf: codeOf(JSON.parse((await rawGet(`${url}?query=%7B__typename%7D`)).text)),
      path: codeOf(JSON.parse((await rawGet(`${server.app.url}/no/such/page`)).text)),
      overWs: await wsRequest(server.ws(), '{ noSuchField }').catch(
        (errors: { extensions?: object }[]) => errors[0]?.extensions,
      ),
    };
    expect(seen).toEqual({
      rule: expect.objectContaining({ code: 'BUSINESS_RULE_VIOLATION', rule: 'SHIP_ONLY_WHEN_PAID' }),
      notFound: expect.objectContaining({ code: 'NOT_FOUND' }),
      badInput: expect.objectContaining({ code: 'BAD_USER_INPUT' }),
      parse: { code: 'GRAPHQL_PARSE_FAILED' },
      validation: { code: 'GRAPHQL_VALIDATION_FAILED' },
      unauthenticated: { code: 'UNAUTHENTICATED' },
      tooComplex: expect.objectContaining({ code: 'QUERY_TOO_COMPLEX', limit: 'aliases' }),
      persistedQuery: { code: 'PERSISTED_QUERY_NOT_FOUND' },
      operation: { code: 'OPERATION_RESOLUTION_FAILURE' },
      csrf: { code: 'BAD_REQUEST' },
      path: { code: 'NOT_FOUND' },
      overWs: { code: 'GRAPHQL_VALIDATION_FAILED' },
    });
    for (const extensions of Object.values(seen)) expect(unlistedCodes([{ extensions }])).toEqual([]);
  });

  it('gives the typed client the codes as the generated ErrorCode type', async () => {
    const request = httpClient(
      `${server.app.url}/graphql`,
      (await server.as({ role: 'admin' })).authorization.slice(7),
    );
    const orderId = await placeOrder(await registerCustomer());
    await request(PayOrder, { input: { orderId } });
    const refusal = await request(PayOrder, { input: { orderId } }).catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(GraphQLRequestError);
    const codes: readonly ErrorCode[] = (refusal as GraphQLRequestError).codes;
    expect(codes).toEqual(['BUSINESS_RULE_VIOLATION']);
  });
});
