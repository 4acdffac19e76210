import { getIntrospectionQuery, getOperationAST, graphqlSync, parse } from 'graphql';
import { costModel, onlyOperation } from '../../src/edge/query-cost';
import { buildSchema } from '../../src/graphql/schema';

const schema = buildSchema();
const model = costModel(schema, { itemsPerOrder: 1000 });

function cost(query: string, variables: Record<string, unknown> = {}, operationName?: string): number {
  const document = parse(query);
  return model.cost(onlyOperation(document, getOperationAST(document, operationName)!), variables);
}

/** `order { customer { orders(first: n) { nodes { customer { … { id } } } } } }`, `levels` customer→orders hops. */
function nested(levels: number, first: number): string {
  let inner = 'id';
  for (let i = 0; i < levels; i++) inner = `customer { orders(first: ${first}) { nodes { ${inner} } } }`;
  return `{ order(id: "o") { ${inner} } }`;
}

/** How many field values a response holds (what the cost bounds). */
function valuesIn(value: unknown): number {
  if (Array.isArray(value)) return value.reduce((n: number, v) => n + valuesIn(v), 0);
  if (value !== null && typeof value === 'object')
    return Object.values(value).reduce((n: number, v) => n + 1 + valuesIn(v), 0);
  return 0;
}

describe('the cost of a query (the most field values its response can hold)', () => {
  it('counts every order of a page at its most items: orders(first: 50) { nodes { items { productId } } } costs 50,101', () => {
    // orders: 1 + 50 × nodes; nodes: 1 + items; items: 1 + 1000 × productId.
    expect(cost('{ orders(first: 50) { nodes { items { productId } } } }')).toBe(1 + 50 * (1 + (1 + 1000 * 1)));
  });

  it('takes the items cap from the configured items per order', () => {
    const small = costModel(schema, { itemsPerOrder: 10 });
    const document = parse('{ order(id: "o") { items { productId quantity } } }');
    expect(small.cost(document, {})).toBe(1 + (1 + 10 * 2));
  });

  it('reads `first` from the variables, and counts the schema default when it is absent or null', () => {
    const query = 'query ($n: Int) { orders(first: $n) { nodes { id } } }';
    expect(cost(query, { n: 7 })).toBe(1 + 7 * 2);
    expect(cost(query, {})).toBe(1 + 20 * 2);
    expect(cost(query, { n: null })).toBe(1 + 20 * 2);
    expect(cost('{ events { nodes { eventId } } }')).toBe(1 + 50 * 2);
  });

  it('counts `last` as `first`: a backward page of orders, customers or a customer’s orders holds as many', () => {
    const query = 'query ($n: Int) { orders(last: $n) { nodes { id } } }';
    expect(cost(query, { n: 7 })).toBe(1 + 7 * 2);
    expect(cost(query, {})).toBe(1 + 20 * 2);
    expect(cost('{ customers(last: 100000) { nodes { id } } }')).toBe(1 + 500 * 2);
    expect(cost('{ customer(id: "c") { orders(last: 3) { nodes { id } } } }')).toBe(1 + (1 + 3 * 2));
  });

  it('counts a `first` above the resolver’s page cap at the cap, since the resolver refuses it before reading', () => {
    expect(cost('{ events(first: 100000) { nodes { eventId } } }')).toBe(1 + 1000 * 2);
    expect(cost('{ orders(first: 100000) { nodes { id } } }')).toBe(1 + 500 * 2);
  });

  it('multiplies through nesting: 4 hops of customer → orders(first: 20) cost 345,263', () => {
    expect(cost(nested(3, 20))).toBe(17_263);
    expect(cost(nested(4, 20))).toBe(345_263);
  });

  it('adds up aliases, one page each', () => {
    const aliases = Array.from({ length: 30 }, (_, i) => `a${i}: orders(first: 500) { nodes { id } }`).join(' ');
    expect(cost(`{ ${aliases} }`)).toBe(30 * (1 + 500 * 2));
  });

  it('counts the lists without `first` at their most: order history, status counts, projections, command events', () => {
    expect(cost('query ($o: ID!) { orderHistory(orderId: $o) { eventId } }', { o: 'o' })).toBe(1 + 1002 * 1);
    expect(cost('{ orderStatusCounts { status count } }')).toBe(1 + 4 * 2);
    expect(cost('{ projections { name } }')).toBe(1 + 10 * 1);
    expect(cost('mutation { payOrder(input: { orderId: "o" }) { events { eventId } } }')).toBe(1 + (1 + 10 * 1));
  });

  it('counts an event payload as a typical payload of 10 values', () => {
    expect(cost('{ events(first: 10) { nodes { payload } } }')).toBe(1 + 10 * (1 + 10));
  });

  it('costs only the operation that runs, with the fragments it spreads', () => {
    const query = `
      query Small { orders(first: 1) { nodes { ...O } } }
      query Large { orders(first: 500) { nodes { ...O } } }
      fragment O on Order { id status }`;
    expect(cost(query, {}, 'Small')).toBe(1 + 1 * (1 + 2));
    expect(cost(query, {}, 'Large')).toBe(1 + 500 * (1 + 2));
  });

  it('costs the standard introspection query at least what it returns, and within 3× of it', () => {
    const query = getIntrospectionQuery({ inputValueDeprecation: true });
    const returned = valuesIn(graphqlSync({ schema, source: query }).data);
    expect(cost(query)).toBeGreaterThanOrEqual(returned);
    expect(cost(query)).toBeLessThan(3 * returned);
  });

  it('makes a nested introspection query cost its multiplied size', () => {
    const flat = cost('{ __schema { types { fields { name } } } }');
    const nestedOnce = cost('{ __schema { types { fields { type { fields { name } } } } } }');
    expect(nestedOnce).toBeGreaterThan(3 * flat);
  });

  it('finds a document whose fragments expand exponentially too costly to count', () => {
    const fragments = Array.from({ length: 16 }, (_, i) => `fragment F${i + 1} on Order { ...F${i} ...F${i} }`).join(
      '\n',
    );
    const query = `{ orders(first: 1) { nodes { ...F16 } } }\nfragment F0 on Order { id }\n${fragments}`;
    expect(cost(query)).toBe(Infinity);
  });
});
