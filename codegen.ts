import type { CodegenConfig } from '@graphql-codegen/cli';

// schema.graphql is the single source of the API: resolvers are typed from it, with the domain's own types
// mapped onto the GraphQL object types they serve. The typed client example's operations are typed from it too,
// by the client preset, which reads that example's documents only.
const config: CodegenConfig = {
  schema: 'schema.graphql',
  generates: {
    'src/generated/graphql.ts': {
      plugins: ['typescript', 'typescript-resolvers'],
      config: {
        useTypeImports: true,
        contextType: '../graphql-kit/context#GraphQLContext',
        scalars: {
          DateTime: 'Date',
          JSON: 'unknown',
          Decimal: 'string',
          Position: 'bigint',
          ID: 'string',
        },
        mappers: {
          // The Event interface and each event type's object type serve the stored envelope; their typed fields
          // decode its payload (src/graphql-kit/event-payloads.ts).
          Event: '../eventstore/types#StoredEvent',
          OrderPlaced: '../eventstore/types#StoredEvent',
          ItemAdded: '../eventstore/types#StoredEvent',
          OrderPaid: '../eventstore/types#StoredEvent',
          OrderShipped: '../eventstore/types#StoredEvent',
          OrderCancelled: '../eventstore/types#StoredEvent',
          CustomerRegistered: '../eventstore/types#StoredEvent',
          CustomerDeactivated: '../eventstore/types#StoredEvent',
          CustomerForgotten: '../eventstore/types#StoredEvent',
          EventConnection: '../graphql/models#EventConnectionModel',
          Order: '../orders/state#OrderState',
          OrderItem: '../orders/models#OrderItemModel',
          Customer: '../customers/models#CustomerModel',
          Viewer: '../auth/principal#Principal',
          OrderConnection: '../orders/read-model#OrderPage as OrderConnectionModel',
          CustomerConnection: '../customers/read-model#CustomerPage as CustomerConnectionModel',
          Projection: '../projections/runner#ProjectionReport',
          ParkedEvent: '../log/parked#ParkedRow',
          Relay: '../relay/relay#RelayReport',
          Reactor: '../reactions/runner#ReactorReport',
          // Every command's payload is its aggregate's outcome: the payload types differ for clients only.
          OrderCommandResult: '../orders/commands#OrderOutcome',
          PlaceOrderPayload: '../orders/commands#OrderOutcome',
          AddItemPayload: '../orders/commands#OrderOutcome',
          PayOrderPayload: '../orders/commands#OrderOutcome',
          ShipOrderPayload: '../orders/commands#OrderOutcome',
          CancelOrderPayload: '../orders/commands#OrderOutcome',
          CustomerCommandResult: '../customers/commands#CustomerOutcome',
          RegisterCustomerPayload: '../customers/commands#CustomerOutcome',
          DeactivateCustomerPayload: '../customers/commands#CustomerOutcome',
          ForgetCustomerPayload: '../customers/commands#CustomerOutcome',
        },
        enumsAsTypes: true,
        avoidOptionals: { field: true, inputValue: false, object: false, defaultValue: false },
        maybeValue: 'T | null',
        inputMaybeValue: 'T | null | undefined',
      },
    },
    // Which object types each interface (Node, Event, CommandResult, …) may be, for clients whose caches must be
    // told (Apollo Client's possibleTypes; docs/api.md shows how a client generates its own).
    'examples/typed-client/gql/possible-types.ts': {
      plugins: ['fragment-matcher'],
      config: { useExplicitTyping: true },
    },
    'examples/typed-client/gql/': {
      preset: 'client',
      documents: 'examples/typed-client/operations.ts',
      presetConfig: { fragmentMasking: false },
      config: {
        useTypeImports: true,
        enumsAsTypes: true,
        // The scalars as they travel in JSON (src/graphql/scalars.ts).
        scalars: {
          DateTime: 'string',
          JSON: 'unknown',
          Decimal: { input: 'string | number', output: 'string' },
          Position: { input: 'string | number', output: 'string' },
          ID: 'string',
        },
      },
    },
    // The client preset types only what the operations select, and no field returns ErrorCode or BusinessRule
    // (they type `extensions.code` and `extensions.rule`): every enum of the schema, as types, beside it.
    'examples/typed-client/gql/enums.ts': {
      plugins: ['typescript'],
      config: { onlyEnums: true, enumsAsTypes: true },
    },
  },
};

export default config;
