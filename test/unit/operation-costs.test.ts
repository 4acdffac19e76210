import { getOperationAST, parse } from 'graphql';
import { operationCosts } from '../../src/edge/operation-costs';
import { costModel, type CostModel } from '../../src/edge/query-cost';
import { buildSchema } from '../../src/graphql/schema';

const schema = buildSchema();
const plain = costModel(schema);

/** The cost model, counting how often it walks a document. */
function countingModel(): CostModel & { walks: number } {
  const model = costModel(schema);
  const counting = {
    walks: 0,
    slicingArguments: model.slicingArguments,
    cost: (...args: Parameters<CostModel['cost']>) => {
      counting.walks++;
      return model.cost(...args);
    },
  };
  return counting;
}

function operation(query: string) {
  const document = parse(query);
  return { document, operation: getOperationAST(document)! };
}

describe('costs kept per operation', () => {
  it('walks an operation once for every value of a variable that does not change its cost', () => {
    const model = countingModel();
    const costs = operationCosts(schema, model);
    const { document, operation: op } = operation('query ($id: ID!) { order(id: $id) { id items { productId } } }');
    const answers = ['a', 'b', 'c'].map((id) => costs(document, op, { id }));
    expect(answers).toEqual([answers[0], answers[0], answers[0]]);
    expect(answers[0]).toBe(plain.cost(document, { id: 'a' }));
    expect(model.walks).toBe(1);
  });

  it('costs each `first` a variable gives, as the model does', () => {
    const model = countingModel();
    const costs = operationCosts(schema, model);
    const { document, operation: op } = operation('query ($n: Int) { orders(first: $n) { nodes { id } } }');
    expect(costs(document, op, { n: 1 })).toBe(plain.cost(document, { n: 1 }));
    expect(costs(document, op, { n: 100 })).toBe(plain.cost(document, { n: 100 }));
    expect(costs(document, op, { n: 100 })).toBeGreaterThan(costs(document, op, { n: 1 }));
    expect(model.walks).toBe(2);
  });

  it('follows a variable in @include or @skip', () => {
    const costs = operationCosts(schema, countingModel());
    const { document, operation: op } = operation(
      'query ($all: Boolean!) { orders(first: 50) { nodes { id items @include(if: $all) { productId } } } }',
    );
    expect(costs(document, op, { all: true })).toBeGreaterThan(costs(document, op, { all: false }));
  });

  it('costs 0 for variables that do not coerce, as the model does, whatever it kept for valid ones', () => {
    const model = countingModel();
    const costs = operationCosts(schema, model);
    const { document, operation: op } = operation('query ($id: ID!) { order(id: $id) { id } }');
    expect(costs(document, op, { id: 'a' })).toBeGreaterThan(0);
    expect(costs(document, op, { id: 5.5 })).toBe(0);
    expect(plain.cost(document, { id: 5.5 })).toBe(0);
  });
});
