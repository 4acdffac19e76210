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
          Event: '../eventstore/types#StoredEvent',
          EventConnection: '../graphql/models#EventConnectionModel',
          Order: '../orders/state#OrderState',
          OrderItem: '../orders/events#OrderItem as OrderItemModel',
          Customer: '../customers/models#CustomerModel',
          Viewer: '../auth/principal#Principal',
          OrderConnection: '../orders/read-model#OrderPage as OrderConnectionModel',
          CustomerConnection: '../customers/read-model#CustomerPage as CustomerConnectionModel',
          Projection: '../projections/runner#ProjectionReport',
          Relay: '../relay/relay#RelayReport',
          OrderCommandResult: '../orders/commands#OrderOutcome',
          CustomerCommandResult: '../customers/commands#CustomerOutcome',
        },
        enumsAsTypes: true,
        avoidOptionals: { field: true, inputValue: false, object: false, defaultValue: false },
        maybeValue: 'T | null',
        inputMaybeValue: 'T | null | undefined',
      },
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
  },
};

export default config;
