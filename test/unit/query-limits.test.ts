import { getIntrospectionQuery, getOperationAST, GraphQLError, parse } from 'graphql';
import type { GraphQLContext } from '../../src/graphql-kit/context';
import { onlyOperation } from '../../src/edge/query-cost';
import { measure, parseOptions, queryLimitsGuard, tooManyTokens, type QueryLimits } from '../../src/edge/query-limits';
import { buildSchema } from '../../src/graphql/schema';
import { loadConfig } from '../../src/config';
import { QueryTooComplex } from '../../src/shared/errors';

const schema = buildSchema();
const limits: QueryLimits = { maxDepth: 5, maxCost: 1000, maxAliases: 2, maxTokens: 50 };
const guard = queryLimitsGuard(limits, schema);

function measured(query: string) {
  const document = parse(query);
  return measure(schema, onlyOperation(document, getOperationAST(document)!));
}

/** What the guard refuses the operation with: `extensions` as the client would see them, or 'passed'. */
function refusal(
  query: string,
  variables: Record<string, unknown> = {},
  context = {} as GraphQLContext,
  by = guard,
): Record<string, unknown> | 'passed' {
  const document = parse(query);
  const operation = getOperationAST(document)!;
  try {
    by({ schema, document, operation, variables, context });
    return 'passed';
  } catch (error) {
    if (!(error instanceof QueryTooComplex)) throw error;
    return { code: error.code, ...error.details };
  }
}

describe('query depth and aliases', () => {
  it('counts fields nested, not fragments, and counts introspection like any other field', () => {
    expect(measured('{ orders { nodes { customer { name } } } }').depth).toBe(4);
    expect(measured('{ orders { nodes { ...O } } } fragment O on Order { customer { name } }').depth).toBe(4);
    expect(measured(getIntrospectionQuery()).depth).toBe(15);
  });

  it('counts aliases inside fragments, and not aliases of __typename', () => {
    expect(
      measured('{ a: orders { nodes { ...O } } t: __typename } fragment O on Order { b: id c: status }').aliases,
    ).toBe(3);
  });
});

describe('the query limits guard', () => {
  it('refuses a query deeper than maxDepth, saying how deep it is', () => {
    expect(refusal('{ orders { nodes { customer { orders { nodes { id } } } } } }')).toEqual({
      code: 'QUERY_TOO_COMPLEX',
      limit: 'depth',
      max: 5,
      actual: 6,
    });
    expect(refusal('{ orders { nodes { customer { name } } } }')).toBe('passed');
  });

  it('refuses more aliases than maxAliases', () => {
    expect(
      refusal('{ a: orderStatusCounts { count } b: orderStatusCounts { count } c: orderStatusCounts { count } }'),
    ).toEqual({
      code: 'QUERY_TOO_COMPLEX',
      limit: 'aliases',
      max: 2,
      actual: 3,
    });
  });

  it('refuses a query that may cost more than maxCost, with `first` taken from the variables', () => {
    const query = 'query ($n: Int) { orders(first: $n) { nodes { id } } }';
    expect(refusal(query, { n: 999 })).toBe('passed');
    expect(refusal(query, { n: 1000 })).toEqual({ code: 'QUERY_TOO_COMPLEX', limit: 'cost', max: 1000, actual: 1001 });
  });

  it('refuses a document too large to cost without saying how costly it is', () => {
    const aliases = queryLimitsGuard({ ...limits, maxAliases: 10_000, maxCost: 1_000_000 }, schema);
    const query = `{ ${Array.from({ length: 5001 }, (_, i) => `a${i}: viewer { role }`).join(' ')} }`;
    expect(refusal(query, {}, {} as GraphQLContext, aliases)).toEqual({
      code: 'QUERY_TOO_COMPLEX',
      limit: 'cost',
      max: 1_000_000,
    });
  });

  it('leaves a query’s or mutation’s cost and the limit in its context for the response, refused or not', () => {
    const passed = {} as GraphQLContext;
    expect(refusal('{ orders(first: 3) { nodes { id } } }', {}, passed)).toBe('passed');
    expect(passed.cost).toEqual({ requestedQueryCost: 4, maxQueryCost: 1000 });
    const refused = {} as GraphQLContext;
    expect(refusal('{ orders(first: 1000) { nodes { id } } }', {}, refused)).toMatchObject({ limit: 'cost' });
    expect(refused.cost).toEqual({ requestedQueryCost: 1001, maxQueryCost: 1000 });
    const mutation = {} as GraphQLContext;
    expect(refusal('mutation { payOrder(input: { orderId: "o" }) { version } }', {}, mutation)).toBe('passed');
    expect(mutation.cost).toEqual({ requestedQueryCost: 1, maxQueryCost: 1000 });
  });

  it('leaves none for a subscription, whose every event would carry it', () => {
    const context = {} as GraphQLContext;
    expect(refusal('subscription { ordersChanged { id } }', {}, context)).toBe('passed');
    expect(context.cost).toBeUndefined();
  });
});

describe('the token limit', () => {
  it('stops graphql’s parse past maxTokens, and the error is recognised as the tokens limit', () => {
    const source = `{ ${'__typename '.repeat(60)} }`;
    let error: unknown;
    try {
      parse(source, parseOptions(limits));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(GraphQLError);
    const refusal = tooManyTokens(error as GraphQLError);
    expect(refusal).toBeInstanceOf(QueryTooComplex);
    expect(refusal!.details).toEqual({ limit: 'tokens', max: 50 });
    expect(() => parse(`{ ${'__typename '.repeat(40)} }`, parseOptions(limits))).not.toThrow();
  });

  it('leaves other syntax errors alone', () => {
    expect(tooManyTokens(new GraphQLError('Syntax Error: Expected Name, found <EOF>.'))).toBeUndefined();
  });
});

describe('the default limits', () => {
  const defaults = loadConfig({}).queryLimits;
  const byDefault = queryLimitsGuard(defaults, schema);
  const passes = (query: string) => {
    const document = parse(query, parseOptions(defaults));
    byDefault({
      schema,
      document,
      operation: getOperationAST(document)!,
      variables: {},
      context: {} as GraphQLContext,
    });
  };

  it('let the standard introspection query through, with every option GraphiQL and Apollo Sandbox may ask for', () => {
    const all = {
      descriptions: true,
      specifiedByUrl: true,
      directiveIsRepeatable: true,
      schemaDescription: true,
      inputValueDeprecation: true,
      oneOf: true,
    };
    expect(() => passes(getIntrospectionQuery(all))).not.toThrow();
    expect(() => passes(getIntrospectionQuery({ inputValueDeprecation: true }))).not.toThrow();
  });
});
