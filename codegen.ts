import type { CodegenConfig } from '@graphql-codegen/cli';

// schema.graphql is the single source of the API: resolvers are typed from it, with the domain's own types
// mapped onto the GraphQL object types they serve.
const config: CodegenConfig = {
  schema: 'schema.graphql',
  generates: {
    'src/generated/graphql.ts': {
      plugins: ['typescript', 'typescript-resolvers'],
      config: {
        useTypeImports: true,
        contextType: '../graphql/context#GraphQLContext',
        scalars: {
          DateTime: 'Date',
          JSON: 'unknown',
          Decimal: 'string',
          Position: 'bigint',
          ID: 'string',
        },
        mappers: {
          Event: '../eventstore/types#StoredEvent',
          EventConnection: '../graphql/models#EventConnectionModel',
          Order: '../orders/state#OrderState',
          OrderItem: '../orders/events#OrderItem as OrderItemModel',
          Customer: '../graphql/models#CustomerModel',
          OrderConnection: '../graphql/models#OrderConnectionModel',
          Projection: '../projections/runner#ProjectionReport',
          Relay: '../relay/relay#RelayReport',
          OrderCommandResult: '../graphql/models#OrderCommandResultModel',
          CustomerCommandResult: '../graphql/models#CustomerCommandResultModel',
        },
        enumsAsTypes: true,
        avoidOptionals: { field: true, inputValue: false, object: false, defaultValue: false },
        maybeValue: 'T | null',
        inputMaybeValue: 'T | null | undefined',
      },
    },
  },
};

export default config;
