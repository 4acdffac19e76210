import {
  getNamedType,
  GraphQLError,
  isAbstractType,
  isEnumType,
  isInputObjectType,
  isInterfaceType,
  isLeafType,
  isListType,
  isNonNullType,
  isObjectType,
  Kind,
  validate,
  type DocumentNode,
  type GraphQLField,
  type GraphQLSchema,
  type OperationDefinitionNode,
} from 'graphql';
import { createComplexityRule, type ComplexityEstimator } from 'graphql-query-complexity';
import { DEFAULT_PAGE, MAX_CUSTOMERS_PAGE, MAX_EVENTS_PAGE, MAX_ORDERS_PAGE } from '../graphql-kit/pages';
import { MAX_NODE_IDS } from '../graphql/node';

/**
 * The cost of an operation is the most field values its response can hold: every field counts 1, and what a list
 * holds counts once per element it can have. So cost ≤ QUERY_MAX_COST bounds the values in the response (and the
 * rows and resolver calls behind them) whatever the data, and nesting multiplies as it does at run time:
 *
 *   orders(first: 50) { nodes { items { productId } } }  =  1 + 50 × (1 + (1 + 1000 × 1))  =  50,101
 *
 * How long a list can be:
 * - A field with a `first` argument (the connections `orders`, `events`, `Customer.orders`, `customers`) holds at
 *   most `first` (or `last`) items (the schema's default, or DEFAULT_PAGE, when both are absent or null, as in the
 *   resolvers), and never more than the page cap its resolver enforces (a larger one is refused with
 *   BAD_USER_INPUT before anything is read). Its
 *   `nodes`/`edges` are then counted once per item: the multiplication happened at the connection (`pageInfo` and
 *   `totalCount` are counted per item too, a small overestimate that keeps the rule to one line; a totalCount is
 *   one value, which the database counts from the status counts or on an index).
 * - A list without `first` counts at its most, from what the domain allows (listSizes() below): upper bounds, not
 *   typical sizes, or a client could first fill orders to the cap and then read 100× what the limit meant to allow.
 * - Introspection lists are sized from the schema (introspectionSizes() below).
 * - Any other list (one added to the schema later without a size here) counts FALLBACK_LIST_SIZE.
 * The one exception to "at its most" is `Event.payload`: a JSON object in one value, counted as a typical payload
 * (LEAF_WEIGHTS) rather than the largest one (an OrderPlaced with 1000 items), which would price every page of the
 * log out of reach.
 */
export type ListSizes = Readonly<{ itemsPerOrder: number }>;

/** A list with no `first` and no entry in listSizes(). */
export const FALLBACK_LIST_SIZE = 100;

/** The page caps the resolvers enforce (pages.ts). */
export const PAGE_CAPS: Readonly<Record<string, number>> = {
  'Query.events': MAX_EVENTS_PAGE,
  'Query.orders': MAX_ORDERS_PAGE,
  'Customer.orders': MAX_ORDERS_PAGE,
  'Query.customers': MAX_CUSTOMERS_PAGE,
};

/** Leaves worth more than one value. */
export const LEAF_WEIGHTS: Readonly<Record<string, number>> = {
  // An OrderPlaced with two items: customerId, totalAmount and productId, quantity, unitPrice per item (and the
  // item objects).
  'Event.payload': 10,
};

/** The most elements each list without `first` can have, keyed `Type.field`. */
export function listSizes({ itemsPerOrder }: ListSizes): Readonly<Record<string, number>> {
  return {
    // The domain's cap on items per order (MAX_ITEMS_PER_ORDER).
    'Order.items': itemsPerOrder,
    // OrderPlaced carries at least one item, so at most itemsPerOrder − 1 ItemAdded follow; then OrderPaid and one
    // of OrderShipped / OrderCancelled.
    'Query.orderHistory': itemsPerOrder + 2,
    // One per id asked for, and nodes(ids:) takes at most this many.
    'Query.nodes': MAX_NODE_IDS,
    // One row per OrderStatus value.
    'Query.orderStatusCounts': 4,
    // One row per projector: the service has two (orders, customers); room for a few more.
    'Query.projections': 10,
    // A command appends one event today; room for commands that append a few.
    'CommandResult.events': 10,
    'OrderCommandResult.events': 10,
    'CustomerCommandResult.events': 10,
  };
}

/**
 * Introspection lists, sized from the schema itself at their average length in it: `__Schema.types` is exactly the
 * number of types, `__Type.fields` the fields of all types over the number of types, and so on. Introspection is
 * answered from memory, and its lists are skewed (a few types have most fields): sized at their largest, the
 * standard introspection query would cost ~35× what it returns; at their average it costs about what it returns,
 * and a nested introspection query still multiplies out.
 */
function introspectionSizes(schema: GraphQLSchema): Record<string, number> {
  const types = Object.values(schema.getTypeMap());
  const directives = schema.getDirectives();
  const average = (lengths: number[]) =>
    lengths.length === 0 ? 0 : lengths.reduce((a, b) => a + b, 0) / lengths.length;
  const perType = (length: (t: (typeof types)[number]) => number) => average(types.map(length));
  const fields = types.flatMap((t) => (isObjectType(t) || isInterfaceType(t) ? Object.values(t.getFields()) : []));
  return {
    '__Schema.types': types.length,
    '__Schema.directives': directives.length,
    '__Type.fields': perType((t) => (isObjectType(t) || isInterfaceType(t) ? Object.keys(t.getFields()).length : 0)),
    '__Type.inputFields': perType((t) => (isInputObjectType(t) ? Object.keys(t.getFields()).length : 0)),
    '__Type.enumValues': perType((t) => (isEnumType(t) ? t.getValues().length : 0)),
    '__Type.interfaces': perType((t) => (isObjectType(t) || isInterfaceType(t) ? t.getInterfaces().length : 0)),
    '__Type.possibleTypes': perType((t) => (isAbstractType(t) ? schema.getPossibleTypes(t).length : 0)),
    '__Field.args': average(fields.map((f) => f.args.length)),
    '__Directive.args': average(directives.map((d) => d.args.length)),
    '__Directive.locations': average(directives.map((d) => d.locations.length)),
  };
}

/** A connection's lists (`nodes`, `edges`) were counted `first` times at the connection field. */
function isConnection(typeName: string): boolean {
  return typeName.endsWith('Connection');
}

/** graphql-query-complexity's estimator for the model above. */
function listSizeEstimator(sizes: Readonly<Record<string, number>>): ComplexityEstimator {
  return ({ type, field, args, childComplexity }) => {
    const key = `${type.name}.${field.name}`;
    const leaf = isLeafType(getNamedType(field.type));
    // One element: a leaf is a value (or its weight); an object is what it selects.
    const element = leaf ? (LEAF_WEIGHTS[key] ?? 1) : childComplexity;
    const length = listLength(key, field, args, type.name, sizes);
    if (length === undefined) return leaf ? element : 1 + element;
    return 1 + length * element;
  };
}

/** How many elements the field can return, or undefined if it is not a list (nor a connection). */
function listLength(
  key: string,
  field: GraphQLField<unknown, unknown>,
  args: Record<string, unknown>,
  parentType: string,
  sizes: Readonly<Record<string, number>>,
): number | undefined {
  const first = field.args.find((a) => a.name === 'first');
  if (first) {
    // `last` pages backward by as many (the resolvers refuse both at once); without either, the default page.
    const given = args.first ?? args.last ?? first.defaultValue ?? DEFAULT_PAGE;
    if (typeof given !== 'number') return FALLBACK_LIST_SIZE;
    return Math.min(Math.max(0, given), PAGE_CAPS[key] ?? Infinity);
  }
  if (!isListType(isNonNullType(field.type) ? field.type.ofType : field.type)) return undefined;
  if (isConnection(parentType)) return 1;
  return sizes[key] ?? FALLBACK_LIST_SIZE;
}

// graphql-query-complexity re-walks a fragment at every spread, so a few nested fragments could make it walk an
// exponential tree; it stops at this many selections, and such a document is refused as too costly.
const MAX_QUERY_NODES = 10_000;
const TOO_MANY_NODES = 'Query exceeds the maximum allowed number of nodes.';

export type CostModel = {
  /**
   * The cost of a document's one operation (see onlyOperation) with these (raw) variables. Infinity when the
   * document is too large to cost (more than MAX_QUERY_NODES selections once fragments are expanded). Fields whose
   * arguments cannot be coerced count 0: execution refuses them (or the whole operation, for a bad variable) before
   * any resolver runs.
   */
  cost(document: DocumentNode, variables: Readonly<Record<string, unknown>>): number;
};

/** The document with only this operation and the fragments it may use: the other operations are not run. */
export function onlyOperation(document: DocumentNode, operation: OperationDefinitionNode): DocumentNode {
  return {
    kind: Kind.DOCUMENT,
    definitions: document.definitions.filter((d) => d === operation || d.kind === Kind.FRAGMENT_DEFINITION),
  };
}

/** The cost model for one schema (introspection sizes are read from it once). */
export function costModel(schema: GraphQLSchema, domain: ListSizes): CostModel {
  const estimator = listSizeEstimator({ ...introspectionSizes(schema), ...listSizes(domain) });
  return {
    cost(document, variables) {
      let cost = 0;
      try {
        // The rule reports argument and variable errors, which execution reports in its own terms: ignored here.
        validate(schema, document, [
          createComplexityRule({
            maximumComplexity: Number.MAX_SAFE_INTEGER,
            estimators: [estimator],
            variables: variables as Record<string, unknown>,
            maxQueryNodes: MAX_QUERY_NODES,
            onComplete: (complexity) => {
              cost = complexity;
            },
          }),
        ]);
      } catch (error) {
        if (error instanceof GraphQLError && error.message === TOO_MANY_NODES) return Infinity;
        throw error;
      }
      // Introspection sizes are averages, so a cost may have a fraction.
      return Math.ceil(cost);
    },
  };
}
