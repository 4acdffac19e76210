import {
  getVariableValues,
  Kind,
  visit,
  type DocumentNode,
  type GraphQLSchema,
  type OperationDefinitionNode,
} from 'graphql';
import { onlyOperation, type CostModel } from './query-cost';

/** The most variable values whose costs one operation keeps (a client paging with many different `first`s). */
const COSTS_PER_OPERATION = 64;

/** How an operation's cost depends on its variables, found once per operation. */
type Shape = {
  /** The variables that can change the cost: those in a slicing argument or an @skip / @include condition. */
  scaling: string[];
  /** Costs already computed, by the values of the scaling variables (and which variables are null). */
  costs: Map<string, number>;
};

/**
 * The cost model of a schema (query-cost.ts) with its answers kept per operation. Apollo Server hands a repeated query the same
 * parsed document (its document store), so the operation node is the key; the cost is walked again only for values
 * of the variables that can change it. Those are the ones in a slicing argument (`first`) or an @skip / @include condition;
 * besides them only the variables' validity moves the model's answer (variables that do not coerce cost 0, as does
 * a field whose non-null argument is given a null variable), so the key also holds which variables are null, and an
 * operation whose variables do not coerce costs 0 without a walk. An operation such as `order(id: $id)` is thus
 * walked once, whatever ids follow.
 */
export function operationCosts(schema: GraphQLSchema, model: CostModel) {
  const shapes = new WeakMap<OperationDefinitionNode, Shape>();
  return (
    document: DocumentNode,
    operation: OperationDefinitionNode,
    variables: Readonly<Record<string, unknown>>,
  ): number => {
    let shape = shapes.get(operation);
    if (!shape) {
      const scaling = scalingVariables(document, operation, model.slicingArguments);
      shapes.set(operation, (shape = { scaling, costs: new Map() }));
    }
    let key = '';
    const definitions = operation.variableDefinitions ?? [];
    if (definitions.length > 0) {
      const { coerced, errors } = getVariableValues(schema, definitions, variables);
      if (errors) return 0;
      const nulls = definitions
        .map((d) => d.variable.name.value)
        .filter((name) => coerced[name] === null || coerced[name] === undefined);
      key = JSON.stringify([shape.scaling.map((name) => coerced[name] ?? null), nulls]);
    }
    let cost = shape.costs.get(key);
    if (cost === undefined) {
      cost = model.cost(onlyOperation(document, operation), variables);
      if (shape.costs.size >= COSTS_PER_OPERATION) shape.costs.delete(shape.costs.keys().next().value!);
      shape.costs.set(key, cost);
    }
    return cost;
  };
}

/** The variables used in any slicing argument or @skip / @include directive of the document (a superset is safe). */
function scalingVariables(
  document: DocumentNode,
  operation: OperationDefinitionNode,
  slicingArguments: ReadonlySet<string>,
): string[] {
  const names = new Set<string>();
  const collect = (node: Parameters<typeof visit>[0]) =>
    visit(node, {
      [Kind.VARIABLE](variable) {
        names.add(variable.name.value);
      },
    });
  visit(onlyOperation(document, operation), {
    [Kind.ARGUMENT](argument) {
      if (slicingArguments.has(argument.name.value)) collect(argument.value);
    },
    [Kind.DIRECTIVE](directive) {
      if (directive.name.value === 'skip' || directive.name.value === 'include') collect(directive);
    },
  });
  return [...names].sort();
}
