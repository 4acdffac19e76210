import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import {
  validate,
  type DocumentNode,
  type GraphQLError,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type ParseOptions,
} from 'graphql';
import type { Config } from '../config';
import { QueryTooComplex } from '../shared/errors';
import type { OperationGuard } from './operation-guards';
import { operationCosts } from './operation-costs';
import { costModel, onlyOperation } from './query-cost';

/**
 * Query limits (docs/api.md, "Limits"): depth, cost, aliases and tokens, each refused before execution with
 * QUERY_TOO_COMPLEX and `extensions.limit` naming it, over HTTP and graphql-ws alike.
 *
 * - tokens: bounded while parsing, by graphql's own `parse(source, { maxTokens })`, which stops at the first token
 *   over the limit: a huge document costs no more than a small one. Apollo Server gets it as `parseOptions`,
 *   graphql-ws in onSubscribe; tooManyTokens() gives both refusals their code in the one error formatter.
 *   (@escape.tech/graphql-armor-max-tokens does the same count but only as an envelop plugin replacing the parse
 *   function, which Apollo Server does not let one do.)
 * - depth and aliases: measured by @escape.tech/graphql-armor-max-depth / -max-aliases, compared here.
 * - cost: query-cost.ts (from schema.graphql's @cost and @listSize directives). A query's or mutation's cost and
 *   the limit are put in its context, so its response carries them in `extensions.cost` (response-policy.ts).
 * Depth, aliases and cost are an OperationGuard: they run on the parsed, validated operation with its variables.
 *
 * Defaults (src/config.ts), against what the project's own clients send (tests, bench, IDE, live page):
 * - depth 20: real queries are at most 6 deep; the standard introspection query (GraphiQL's, Apollo Sandbox's) is
 *   15, its 9-level `ofType` chain included. 200 levels of order → customer → orders is 602.
 * - cost 20,000 (objects, at the directives' list sizes): a page of 1000 events with their whole envelope, through
 *   edges, is 3,002; an order page with its items, history and the customer's 10 last orders with theirs 2,128;
 *   orders(first: 100) with items and customer 1,201; the introspection query 3,011. Four hops of customer →
 *   orders(first: 20) are 185,263, three of orders(first: 50) 132,653: refused. So the heaviest real query has a
 *   margin of 6×. (The responses of these queries hold 2 to 13 values per object; the large lists are bounded in
 *   bytes besides: EVENTS_PAGE_BYTES, ORDER_ITEMS_PER_RESPONSE.)
 * - aliases 20: no real query uses any; an alias flood needs hundreds.
 * - tokens 5,000: the introspection query is 184 tokens, real queries under 100; enough for 300 aliases to be
 *   refused as aliases rather than as tokens.
 */
export type QueryLimits = Config['queryLimits'];

/** For graphql's parse (Apollo Server's `parseOptions`, graphql-ws's onSubscribe). */
export function parseOptions(limits: QueryLimits): ParseOptions {
  return { maxTokens: limits.maxTokens };
}

// graphql's message when `maxTokens` stops a parse (graphql/language/parser.ts: "more that" in graphql 16, so
// either spelling); a unit test pins it.
const TOKEN_LIMIT = /^Syntax Error: Document contains more tha[nt] (\d+) tokens\. Parsing aborted\.$/;

/** The QUERY_TOO_COMPLEX refusal a parse stopped by `maxTokens` stands for, if that is what this error is. */
export function tooManyTokens(error: GraphQLError): QueryTooComplex | undefined {
  const match = TOKEN_LIMIT.exec(error.message);
  if (!match) return undefined;
  const max = Number(match[1]);
  const message = `The document has more than ${max} tokens, the limit (QUERY_MAX_TOKENS)`;
  return new QueryTooComplex('tokens', max, undefined, message);
}

export type Measures = { depth: number; aliases: number };

/**
 * Depth (fields nested, fragments not counting as a level; introspection included) and aliases of a document's one
 * operation (see onlyOperation).
 */
export function measure(schema: GraphQLSchema, document: DocumentNode): Measures {
  const measures: Measures = { depth: 0, aliases: 0 };
  // The rules are used as meters (no limit: they report what they counted) so that a refusal can say how far over
  // it is. Introspection counts too: its `ofType` chains and nested `fields` are as deep as anything else.
  validate(schema, document, [
    maxDepthRule({
      n: Infinity,
      ignoreIntrospection: false,
      flattenFragments: true,
      onAccept: [(_context, { n }: { n: number }) => void (measures.depth = Math.max(measures.depth, n))],
    }),
    maxAliasesRule({
      n: Infinity,
      onAccept: [(_context, { n }: { n: number }) => void (measures.aliases = Math.max(measures.aliases, n))],
    }),
  ]);
  return measures;
}

/**
 * Refuses an operation over the depth, aliases or cost limit (in that order: the cheapest checks first). The cost
 * model is made here, once per server, so a schema whose cost directives it refuses stops the server at start.
 */
export function queryLimitsGuard(limits: QueryLimits, schema: GraphQLSchema): OperationGuard {
  const costs = operationCosts(schema, costModel(schema));
  // Depth and aliases depend on the document alone, and Apollo Server hands a repeated query the same parsed
  // document: each operation is measured once (the operation node is the key, and goes with its document).
  const measured = new WeakMap<OperationDefinitionNode, Measures>();
  return ({ document, operation, variables, context }) => {
    let measures = measured.get(operation);
    if (!measures) measured.set(operation, (measures = measure(schema, onlyOperation(document, operation))));
    const { depth, aliases } = measures;
    if (depth > limits.maxDepth) {
      const message = `The query is ${depth} fields deep; the limit is ${limits.maxDepth} (QUERY_MAX_DEPTH)`;
      throw new QueryTooComplex('depth', limits.maxDepth, depth, message);
    }
    if (aliases > limits.maxAliases) {
      const message = `The query has ${aliases} aliases; the limit is ${limits.maxAliases} (QUERY_MAX_ALIASES)`;
      throw new QueryTooComplex('aliases', limits.maxAliases, aliases, message);
    }
    const cost = costs(document, operation, variables);
    // A subscription's events go out without it: the bytes would be paid on every event of the fan-out.
    if (operation.operation !== 'subscription' && Number.isFinite(cost)) {
      context.cost = { requestedQueryCost: cost, maxQueryCost: limits.maxCost };
    }
    if (cost > limits.maxCost) {
      const actual = Number.isFinite(cost) ? cost : undefined;
      const costs = actual === undefined ? 'too much to count' : actual;
      const message = `The query costs ${costs} (see docs/api.md, Query cost); the limit is ${limits.maxCost} (QUERY_MAX_COST)`;
      throw new QueryTooComplex('cost', limits.maxCost, actual, message);
    }
  };
}
