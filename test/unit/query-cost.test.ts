import { buildSchema as buildSdl, getIntrospectionQuery, getOperationAST, graphqlSync, parse } from 'graphql';
import { loadConfig } from '../../src/config';
import { checkCostDirectives, costModel, onlyOperation } from '../../src/edge/query-cost';
import { MAX_NODE_IDS } from '../../src/graphql/node';
import { buildSchema } from '../../src/graphql/schema';
import { ORDER_STATUSES } from '../../src/orders/state';
import { DEFAULT_INPUT_LIMITS } from '../../src/shared/input-limits';

const schema = buildSchema();
const model = costModel(schema);

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

/** How many objects a response holds (what the cost counts, at IBM's default weights). */
function objectsIn(value: unknown): number {
  if (Array.isArray(value)) return value.reduce((n: number, v) => n + objectsIn(v), 0);
  if (value !== null && typeof value === 'object')
    return 1 + Object.values(value).reduce((n: number, v) => n + objectsIn(v), 0);
  return 0;
}

/** The directives, as schema.graphql defines them, for small schemas of the tests' own. */
const DIRECTIVES = `
  directive @cost(weight: String!) on ARGUMENT_DEFINITION | ENUM | FIELD_DEFINITION | INPUT_FIELD_DEFINITION | OBJECT | SCALAR
  directive @listSize(assumedSize: Int, slicingArguments: [String!], sizedFields: [String!], requireOneSlicingArgument: Boolean = true) on FIELD_DEFINITION
`;
const sdl = (types: string) => buildSdl(DIRECTIVES + types);

describe('the cost of a query, from the schema’s @cost and @listSize directives', () => {
  it('admits an ordinary page: orders(first: 100) with items costs 1,101, with the customer too 1,201', () => {
    const items = 'id status totalAmount itemCount version items { productId quantity unitPrice }';
    // orders: 1 (the connection) + 100 × (1 (an order) + 10 × 1 (its assumed items)); scalars weigh nothing.
    expect(cost(`{ orders(first: 100) { nodes { ${items} } } }`)).toBe(1 + 100 * (1 + 10));
    expect(cost(`{ orders(first: 100) { nodes { ${items} customer { id name } } } }`)).toBe(1 + 100 * (1 + 10 + 1));
  });

  it('reads a slicing argument from the variables, and counts its default when it is absent or null', () => {
    const query = 'query ($n: Int) { orders(first: $n) { nodes { id } } }';
    expect(cost(query, { n: 7 })).toBe(1 + 7);
    expect(cost(query, {})).toBe(1 + 20);
    expect(cost(query, { n: null })).toBe(1 + 20);
    expect(cost('{ events { nodes { eventId } } }')).toBe(1 + 50);
  });

  it('sizes a connection’s edges and nodes (sizedFields), and counts its pageInfo once', () => {
    expect(cost('{ orders(first: 10) { edges { node { id } } nodes { id } pageInfo { endCursor } totalCount } }')).toBe(
      1 + 10 * (1 + 1) + 10 * 1 + 1,
    );
  });

  it('multiplies through nesting: 3 hops of customer → orders(first: 20) cost 9,263, 4 hops 185,263, 3 of 50 132,653', () => {
    expect(cost(nested(3, 20))).toBe(9_263);
    expect(cost(nested(4, 20))).toBe(185_263);
    expect(cost(nested(3, 50))).toBe(132_653);
  });

  it('adds up aliases', () => {
    const aliases = Array.from({ length: 30 }, (_, i) => `a${i}: orders(first: 500) { nodes { id } }`).join(' ');
    expect(cost(`{ ${aliases} }`)).toBe(30 * (1 + 500));
  });

  it('counts a page at `first` or `last`, and at 20 without either', () => {
    expect(cost('{ orders(last: 5) { nodes { id } } }')).toBe(1 + 5);
    expect(cost('{ orders { nodes { id } } }')).toBe(1 + 20);
    expect(cost('{ customers(first: 7) { edges { node { id } } } }')).toBe(1 + 7 * 2);
  });

  it('counts the lists without a slicing argument at their assumed sizes, which the code’s bounds match', () => {
    expect(cost('{ nodes(ids: ["a"]) { id } }')).toBe(MAX_NODE_IDS);
    expect(cost('{ orderStatusCounts { status count } }')).toBe(ORDER_STATUSES.length);
    // Assumed at a typical history's length: the domain bounds the longest (an OrderPlaced, an ItemAdded for each
    // further item, OrderPaid, then shipped or cancelled) to a few thousand objects, far below the limit.
    expect(cost('{ orderHistory(orderId: "o") { eventId } }')).toBe(20);
    expect(DEFAULT_INPUT_LIMITS.itemsPerOrder * 3).toBeLessThan(loadConfig({}).queryLimits.maxCost);
    expect(cost('{ order(id: "o") { items { productId } } }')).toBe(1 + 10);
    expect(cost('mutation { payOrder(input: { orderId: "o" }) { events { metadata { userId } } } }')).toBe(
      1 + 10 * (1 + 1),
    );
  });

  it('counts an abstract type at the costliest of its object types', () => {
    expect(cost('{ node(id: "n") { id ... on Order { items { productId } } ... on Customer { name } } }')).toBe(1 + 10);
  });

  it('merges fields as execution does: a fragment spread twice is counted once', () => {
    const fragments = Array.from({ length: 16 }, (_, i) => `fragment F${i + 1} on Order { ...F${i} ...F${i} }`).join(
      '\n',
    );
    const query = `{ orders(first: 1) { nodes { ...F16 } } }\nfragment F0 on Order { customer { id } }\n${fragments}`;
    expect(cost(query)).toBe(1 + 1 * (1 + 1));
    expect(cost('{ order(id: "o") { customer { id } ... on Order { customer { name } } } }')).toBe(1 + 1);
  });

  it('follows @skip and @include', () => {
    const query =
      'query ($all: Boolean!) { orders(first: 50) { nodes { id items @include(if: $all) { productId } } } }';
    expect(cost(query, { all: true })).toBe(1 + 50 * (1 + 10));
    expect(cost(query, { all: false })).toBe(1 + 50);
  });

  it('costs only the operation that runs, with the fragments it spreads', () => {
    const query = `
      query Small { orders(first: 1) { nodes { ...O } } }
      query Large { orders(first: 500) { nodes { ...O } } }
      fragment O on Order { id customer { id } }`;
    expect(cost(query, {}, 'Small')).toBe(1 + 1 * (1 + 1));
    expect(cost(query, {}, 'Large')).toBe(1 + 500 * (1 + 1));
  });

  it('costs 0 for variables or arguments that do not coerce: execution refuses them before any resolver runs', () => {
    expect(cost('query ($n: Int) { orders(first: $n) { nodes { id } } }', { n: 'many' })).toBe(0);
    expect(cost('{ a: orders(first: 2) { nodes { id } } b: orderAt(orderId: "o", version: null) { id } }')).toBe(3 + 1);
  });

  it('costs the standard introspection query at least the objects it returns, and within 4× of them', () => {
    const query = getIntrospectionQuery({ inputValueDeprecation: true });
    const returned = objectsIn(graphqlSync({ schema, source: query }).data);
    expect(cost(query)).toBeGreaterThanOrEqual(returned);
    // Most of the difference: every type reference's 9-level `ofType` chain counts whole; most end after 2 or 3.
    expect(cost(query)).toBeLessThan(4 * returned);
  });

  it('makes a nested introspection query cost its multiplied size', () => {
    const flat = cost('{ __schema { types { fields { name } } } }');
    const nestedOnce = cost('{ __schema { types { fields { type { fields { name } } } } } }');
    expect(nestedOnce).toBeGreaterThan(3 * flat);
  });

  it('says a document whose walk is too long to follow costs Infinity', () => {
    const query = `{ ${Array.from({ length: 5001 }, (_, i) => `a${i}: viewer { role }`).join(' ')} }`;
    expect(cost(query)).toBe(Infinity);
  });
});

describe('the weights the directives may give', () => {
  const weighed = costModel(
    sdl(`
      scalar Blob @cost(weight: "3")
      type Photo @cost(weight: "5") { id: ID! data: Blob exif: String @cost(weight: "2.5") }
      type Query {
        photos(first: Int, last: Int, exact: Boolean @cost(weight: "4"), cheap: Boolean @cost(weight: "-9")): [Photo!]!
          @listSize(slicingArguments: ["first", "last"], assumedSize: 7, requireOneSlicingArgument: false)
        photo: Photo @cost(weight: "2")
      }
    `),
  );
  const weigh = (query: string) => weighed.cost(parse(query), {});

  it('takes a type’s weight for its fields, a field’s own weight over its type’s, and adds its arguments’', () => {
    expect(weigh('{ photo { id data exif } }')).toBe(2 + 3 + 3);
    expect(weigh('{ photos(first: 1) { id } }')).toBe(5);
    expect(weigh('{ photos(first: 1, exact: true) { id } }')).toBe(5 + 4);
    expect(weigh('{ photos(first: 1, exact: null) { id } }')).toBe(5);
  });

  it('never lets a field cost less than 0', () => {
    expect(weigh('{ photos(first: 2, cheap: true) { data } }')).toBe(2 * (0 + 3));
  });

  it('takes the largest slicing argument given, and the assumed size when none is', () => {
    expect(weigh('{ photos(first: 2, last: 3) { id } }')).toBe(3 * 5);
    expect(weigh('{ photos { id } }')).toBe(7 * 5);
  });

  it('exposes the slicing arguments, whose variables alone move a cost', () => {
    expect([...weighed.slicingArguments].sort()).toEqual(['first', 'last']);
    expect([...model.slicingArguments].sort()).toEqual(['first', 'last']);
  });
});

describe('the schema’s cost directives', () => {
  it('refuses a list that no directive sizes', () => {
    expect(() => checkCostDirectives(sdl('type Query { tags: [String!]! }'))).toThrow(
      'Query.tags: a list with no @listSize',
    );
  });

  it('refuses a connection list that a field returning the connection does not size', () => {
    const schema = sdl(`
      type Page { nodes: [Int!]! }
      type Query {
        sized(first: Int = 10): Page! @listSize(slicingArguments: ["first"], sizedFields: ["nodes"])
        unsized: Page!
      }
    `);
    expect(() => checkCostDirectives(schema)).toThrow('Page.nodes: a list with no @listSize, and not sized');
  });

  it('refuses sized fields that are no lists, slicing arguments that do not exist, and sizes that give none', () => {
    const schema = sdl(`
      type Page { count: Int! }
      type Query {
        a(first: Int = 1): Page! @listSize(slicingArguments: ["first"], sizedFields: ["count"])
        b: [Int!]! @listSize(slicingArguments: ["first"])
      }
    `);
    expect(() => checkCostDirectives(schema)).toThrow(
      /Query\.a: sized field count is no list.*Query\.b: no slicing argument first.*Query\.b: @listSize with neither/,
    );
  });

  it('refuses a sliced field’s Int argument that is not among its slicing arguments (a `last` beside `first`)', () => {
    const schema = sdl(`
      type Page { nodes: [Int!]! }
      type Query {
        page(first: Int = 10, last: Int): Page! @listSize(slicingArguments: ["first"], sizedFields: ["nodes"])
      }
    `);
    expect(() => checkCostDirectives(schema)).toThrow(
      'Query.page: Int argument last is not among its slicingArguments',
    );
  });

  it('refuses @cost where the model does not read it or the spec forbids it, and weights that are no numbers', () => {
    const schema = sdl(`
      interface Named { name: String @cost(weight: "1") }
      input Filter { text: String @cost(weight: "1") }
      type Query { named(filter: Filter): Named @cost(weight: "a lot") }
    `);
    expect(() => checkCostDirectives(schema)).toThrow(
      /Named\.name: @cost on an interface's field.*Filter\.text: @cost on an input field|Filter\.text: @cost on an input field.*Named\.name/,
    );
    expect(() => checkCostDirectives(schema)).toThrow('Query.named: @cost weight is no number');
  });

  it('accepts schema.graphql', () => {
    expect(() => checkCostDirectives(schema)).not.toThrow();
  });
});
